/**
 * "92/100" under a field with a length limit, once the text is near it: the field stops taking
 * characters at the limit, and without this the cut is silent.
 */
export function LengthHint({ value, max }: { value: string; max: number }) {
  if (value.length < max * 0.8) return null;
  return (
    <span
      aria-live="polite"
      data-testid="length-hint"
      className={`mt-1 block text-right text-xs ${value.length >= max ? 'text-red-600' : 'text-neutral-500'}`}
    >
      {value.length}/{max}
    </span>
  );
}
