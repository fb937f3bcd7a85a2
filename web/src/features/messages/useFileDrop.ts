import { useRef, useState, type DragEvent } from 'react';
import { stageFiles } from '../../store/compose';

/**
 * Files dragged over a conversation: `dragging` while they are over it (an overlay says where
 * to drop them), and the handlers to spread on its element; dropped files are staged to send.
 */
export function useFileDrop(conversationId: string) {
  const [dragging, setDragging] = useState(false);
  const dragDepth = useRef(0);
  const hasFiles = (e: DragEvent) => e.dataTransfer.types.includes('Files');
  const handlers = {
    onDragEnter(e: DragEvent) {
      if (!hasFiles(e)) return;
      e.preventDefault();
      dragDepth.current++;
      setDragging(true);
    },
    onDragOver(e: DragEvent) {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    },
    onDragLeave(e: DragEvent) {
      if (!hasFiles(e)) return;
      dragDepth.current = Math.max(0, dragDepth.current - 1);
      if (dragDepth.current === 0) setDragging(false);
    },
    onDrop(e: DragEvent) {
      if (!hasFiles(e)) return;
      e.preventDefault();
      dragDepth.current = 0;
      setDragging(false);
      stageFiles(conversationId, [...e.dataTransfer.files]);
    },
  };
  return { dragging, handlers };
}
