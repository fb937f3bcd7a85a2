const base = {
  width: 20,
  height: 20,
  viewBox: '0 0 24 24',
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 2,
  strokeLinecap: 'round',
  strokeLinejoin: 'round',
} as const;

export const BackIcon = () => (
  <svg {...base} aria-hidden="true">
    <path d="M15 18l-6-6 6-6" />
  </svg>
);
export const SendIcon = () => (
  <svg {...base} aria-hidden="true">
    <path d="M22 2L11 13" />
    <path d="M22 2l-7 20-4-9-9-4 20-7z" />
  </svg>
);
export const SearchIcon = () => (
  <svg {...base} width={16} height={16} aria-hidden="true">
    <circle cx="11" cy="11" r="7" />
    <path d="M21 21l-4.3-4.3" />
  </svg>
);
export const UsersIcon = () => (
  <svg {...base} aria-hidden="true">
    <path d="M17 21v-2a4 4 0 00-4-4H5a4 4 0 00-4 4v2" />
    <circle cx="9" cy="7" r="4" />
    <path d="M23 21v-2a4 4 0 00-3-3.87M16 3.13a4 4 0 010 7.75" />
  </svg>
);
export const CloseIcon = () => (
  <svg {...base} aria-hidden="true">
    <path d="M18 6L6 18M6 6l12 12" />
  </svg>
);
export const ClockIcon = () => (
  <svg {...base} width={14} height={14} aria-hidden="true">
    <circle cx="12" cy="12" r="9" />
    <path d="M12 7v5l3 2" />
  </svg>
);
export const TickIcon = ({ double }: { double?: boolean }) => (
  <svg {...base} width={18} height={14} viewBox="0 0 28 20" aria-hidden="true">
    <path d="M2 11l5 5L18 4" />
    {double && <path d="M11 15l1 1L23 4" />}
  </svg>
);
export const ArrowDownIcon = () => (
  <svg {...base} aria-hidden="true">
    <path d="M12 5v14M19 12l-7 7-7-7" />
  </svg>
);
export const MenuIcon = () => (
  <svg {...base} aria-hidden="true">
    <circle cx="12" cy="5" r="1" />
    <circle cx="12" cy="12" r="1" />
    <circle cx="12" cy="19" r="1" />
  </svg>
);
export const PhoneIcon = () => (
  <svg {...base} aria-hidden="true">
    <path d="M22 16.9v3a2 2 0 01-2.2 2 19.8 19.8 0 01-8.6-3.1 19.5 19.5 0 01-6-6A19.8 19.8 0 012.1 4.2 2 2 0 014.1 2h3a2 2 0 012 1.7c.1.9.4 1.8.7 2.7a2 2 0 01-.5 2.1L8 9.8a16 16 0 006 6l1.3-1.3a2 2 0 012.1-.4c.9.3 1.8.6 2.7.7a2 2 0 011.7 2z" />
  </svg>
);
export const VideoIcon = () => (
  <svg {...base} aria-hidden="true">
    <path d="M23 7l-7 5 7 5V7z" />
    <rect x="1" y="5" width="15" height="14" rx="2" />
  </svg>
);
export const SmileIcon = () => (
  <svg {...base} aria-hidden="true">
    <circle cx="12" cy="12" r="9.5" />
    <path d="M8 14.5s1.5 2 4 2 4-2 4-2" />
    <path d="M9 9.5h.01M15 9.5h.01" strokeWidth={2.5} />
  </svg>
);
export const PaperclipIcon = () => (
  <svg {...base} aria-hidden="true">
    <path d="M21.4 11.1l-9.2 9.2a6 6 0 01-8.5-8.5l9.2-9.2a4 4 0 015.7 5.7l-9.2 9.2a2 2 0 01-2.8-2.8l8.5-8.5" />
  </svg>
);
export const FileIcon = () => (
  <svg {...base} width={24} height={24} aria-hidden="true">
    <path d="M14 2H6a2 2 0 00-2 2v16a2 2 0 002 2h12a2 2 0 002-2V8z" />
    <path d="M14 2v6h6" />
  </svg>
);
export const DownloadIcon = () => (
  <svg {...base} aria-hidden="true">
    <path d="M21 15v4a2 2 0 01-2 2H5a2 2 0 01-2-2v-4M7 10l5 5 5-5M12 15V3" />
  </svg>
);
export const PencilIcon = () => (
  <svg {...base} width={18} height={18} aria-hidden="true">
    <path d="M12 20h9M16.5 3.5a2.1 2.1 0 013 3L7 19l-4 1 1-4z" />
  </svg>
);
export const ReplyIcon = () => (
  <svg {...base} width={18} height={18} aria-hidden="true">
    <path d="M9 17l-5-5 5-5" />
    <path d="M20 18v-2a4 4 0 00-4-4H4" />
  </svg>
);
export const TrashIcon = () => (
  <svg {...base} width={18} height={18} aria-hidden="true">
    <path d="M3 6h18M8 6V4a2 2 0 012-2h4a2 2 0 012 2v2m3 0v14a2 2 0 01-2 2H7a2 2 0 01-2-2V6" />
  </svg>
);
export const CopyIcon = () => (
  <svg {...base} width={18} height={18} aria-hidden="true">
    <rect x="9" y="9" width="13" height="13" rx="2" />
    <path d="M5 15H4a2 2 0 01-2-2V4a2 2 0 012-2h9a2 2 0 012 2v1" />
  </svg>
);
export const CheckIcon = () => (
  <svg {...base} aria-hidden="true">
    <path d="M20 6L9 17l-5-5" />
  </svg>
);
export const BanIcon = () => (
  <svg {...base} width={15} height={15} aria-hidden="true">
    <circle cx="12" cy="12" r="9" />
    <path d="M5.6 5.6l12.8 12.8" />
  </svg>
);
export const ChevronDownIcon = () => (
  <svg {...base} width={18} height={18} aria-hidden="true">
    <path d="M6 9l6 6 6-6" />
  </svg>
);
export const MicIcon = ({ off }: { off?: boolean }) => (
  <svg {...base} width={24} height={24} aria-hidden="true">
    <rect x="9" y="2" width="6" height="12" rx="3" />
    <path d="M5 10v1a7 7 0 0014 0v-1M12 18v4" />
    {off && <path d="M3 3l18 18" />}
  </svg>
);
export const CameraIcon = ({ off }: { off?: boolean }) => (
  <svg {...base} width={24} height={24} aria-hidden="true">
    <path d="M23 7l-7 5 7 5V7z" />
    <rect x="1" y="5" width="15" height="14" rx="2" />
    {off && <path d="M1 1l22 22" />}
  </svg>
);
export const HangUpIcon = () => (
  <svg {...base} width={26} height={26} aria-hidden="true" className="rotate-[135deg]">
    <path d="M22 16.9v3a2 2 0 01-2.2 2 19.8 19.8 0 01-8.6-3.1 19.5 19.5 0 01-6-6A19.8 19.8 0 012.1 4.2 2 2 0 014.1 2h3a2 2 0 012 1.7c.1.9.4 1.8.7 2.7a2 2 0 01-.5 2.1L8 9.8a16 16 0 006 6l1.3-1.3a2 2 0 012.1-.4c.9.3 1.8.6 2.7.7a2 2 0 011.7 2z" />
  </svg>
);
