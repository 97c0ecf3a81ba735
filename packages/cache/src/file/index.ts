export { type FileCacheStore, type FileCacheStoreOptions, fileCacheStore } from './file-store.ts';
