export * from './rtentry.js';
export * from './table.js';
export { PrefixTrie } from './trie.js';
