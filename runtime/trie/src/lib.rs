//! keel-trie
