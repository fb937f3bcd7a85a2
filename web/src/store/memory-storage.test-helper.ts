// For the store modules' unit tests (Node has no localStorage): an in-memory one, installed
// when imported. Import it before the stores, which read localStorage as they load.
const data = new Map<string, string>();
(globalThis as { localStorage?: unknown }).localStorage = {
  getItem: (k: string) => data.get(k) ?? null,
  setItem: (k: string, v: string) => void data.set(k, v),
  removeItem: (k: string) => void data.delete(k),
};
