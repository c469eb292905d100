//! [`Trie`]: one Merkle-Patricia trie, loaded lazily from a node store and updated in memory.

use core::cell::RefCell;

use alloy_primitives::{B256, Bytes, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, Nibbles};

use crate::{
    TrieNodes,
    error::{TrieError, TrieResult},
    node::{Branch, Extension, Node},
    path::{join, key_nibbles, prepend},
    store::{NodeReader, StoreError, read_node},
};

/// One trie rooted at a hash, whose nodes are loaded from a [`NodeReader`] on first use.
///
/// Reads and writes load only the nodes on the paths they walk; everything else stays a hash
/// reference. Writes change the loaded nodes in memory and [`Trie::commit`] encodes the changed
/// ones, returning the new root and the new nodes for the store. Nothing is ever deleted from
/// the store: the nodes of older roots stay readable.
///
/// If an operation fails (which only an incomplete or corrupt store can cause), the trie is
/// left as it was, except that a removal from a corrupt store may have been half applied:
/// discard the trie after an error.
///
/// # Stale nodes
///
/// A trie made with [`Trie::reporting_stale`] also tells, at each commit, which stored nodes
/// the commit stopped referring to ([`Trie::take_stale`]): what a store that prunes old state
/// may drop once no root it keeps needs them. It is a multiset, one entry per place in the trie
/// a node left: a node stored once but referred to from two places (identical subtrees) is
/// listed once for each place it left, so a store that counts references per node stays exact.
#[derive(Debug)]
pub struct Trie {
    root: Node,
    /// With [`Trie::reporting_stale`]: the stored nodes this trie holds in memory, one entry
    /// per load, plus the nodes its last commit created.
    tracked: Option<RefCell<Vec<B256>>>,
    /// Stale nodes found by the commits so far.
    stale: Vec<B256>,
}

impl Trie {
    /// The trie with root hash `root`; [`EMPTY_ROOT_HASH`] is the empty trie.
    pub fn new(root: B256) -> Self {
        let root = if root == EMPTY_ROOT_HASH {
            Node::Empty
        } else {
            Node::Hash(root)
        };
        Self {
            root,
            tracked: None,
            stale: Vec::new(),
        }
    }

    /// Like [`Trie::new`], but each commit also finds the stored nodes it made stale
    /// ([`Trie::take_stale`]). It costs a walk over the loaded nodes per commit, which a
    /// stateless verifier has no use for.
    pub fn reporting_stale(root: B256) -> Self {
        Self {
            tracked: Some(RefCell::default()),
            ..Self::new(root)
        }
    }

    /// The stored nodes the commits so far stopped referring to (see [`Trie`]'s "Stale
    /// nodes"), emptied; always empty for a trie made with [`Trie::new`].
    pub fn take_stale(&mut self) -> Vec<B256> {
        core::mem::take(&mut self.stale)
    }

    /// The value stored under `key` (raw bytes, at most 32), loading the nodes on its path.
    pub fn get(
        &mut self,
        store: &(impl NodeReader + ?Sized),
        key: &[u8],
    ) -> TrieResult<Option<Bytes>> {
        let key = key_nibbles(key)?;
        let store = &Tracked::new(store, &self.tracked);
        let mut node = &mut self.root;
        let mut depth = 0;
        loop {
            match node {
                Node::Empty => return Ok(None),
                Node::Hash(hash) => *node = load(store, *hash, || key.slice(..depth))?,
                Node::Leaf(leaf) => {
                    return Ok((leaf.path == key.slice(depth..)).then(|| leaf.value.clone()));
                }
                Node::Extension(ext) => {
                    if !key.slice(depth..).starts_with(&ext.path) {
                        return Ok(None);
                    }
                    depth += ext.path.len();
                    node = &mut ext.child;
                }
                Node::Branch(branch) => {
                    let Some(nibble) = key.get(depth) else {
                        return Ok(branch.value.clone());
                    };
                    depth += 1;
                    node = &mut branch.children[usize::from(nibble)];
                }
            }
        }
    }

    /// Sets the value under `key` (raw bytes, at most 32); an empty value removes the key.
    pub fn insert(
        &mut self,
        store: &(impl NodeReader + ?Sized),
        key: &[u8],
        value: Bytes,
    ) -> TrieResult<()> {
        if value.is_empty() {
            return self.remove(store, key);
        }
        let key = key_nibbles(key)?;
        let store = &Tracked::new(store, &self.tracked);
        insert(&mut self.root, store, &key, 0, value).map(drop)
    }

    /// Removes `key` (raw bytes, at most 32) if present.
    ///
    /// A branch left with a single child is merged with it, which may load that child from the
    /// store.
    pub fn remove(&mut self, store: &(impl NodeReader + ?Sized), key: &[u8]) -> TrieResult<()> {
        let key = key_nibbles(key)?;
        let store = &Tracked::new(store, &self.tracked);
        remove(&mut self.root, store, &key, 0).map(drop)
    }

    /// Hashes every dirty node bottom up and returns the root and the nodes created since the
    /// last commit.
    ///
    /// Only nodes whose RLP is 32 bytes or more are returned, plus the root whatever its size;
    /// smaller nodes are embedded in their parent. Untouched subtrees stay hash references and
    /// are neither loaded nor re-hashed. The loaded nodes stay in memory, clean, so later
    /// operations on this trie do not read them again. A node identical to one already stored
    /// (a value set and then restored) may be returned again.
    pub fn commit(&mut self) -> (B256, TrieNodes) {
        if let Some(tracked) = &self.tracked {
            let mut tracked = tracked.borrow_mut();
            find_stale(&self.root, &mut tracked, &mut self.stale);
        }
        let mut nodes = TrieNodes::new();
        let root = match &mut self.root {
            Node::Empty => EMPTY_ROOT_HASH,
            Node::Hash(hash) => *hash,
            root => {
                let dirty = root.is_dirty();
                let mut buf = Vec::with_capacity(600);
                let reference = root.commit(&mut nodes, &mut buf);
                match reference.as_hash() {
                    Some(hash) => hash,
                    None => {
                        // The root is referred to by hash even when it is short.
                        let hash = keccak256(&reference);
                        if dirty {
                            nodes.push((hash, Bytes::copy_from_slice(&reference)));
                        }
                        hash
                    }
                }
            }
        };
        if let Some(tracked) = &self.tracked {
            // What this commit created is what a later commit may make stale.
            tracked
                .borrow_mut()
                .extend(nodes.iter().map(|(hash, _)| *hash));
        }
        (root, nodes)
    }
}

/// A node reader that logs the hash of every node it serves, when a log is given.
struct Tracked<'a, S: ?Sized> {
    store: &'a S,
    loads: Option<&'a RefCell<Vec<B256>>>,
}

impl<'a, S: ?Sized> Tracked<'a, S> {
    /// `store`, logging into `loads` if the trie reports stale nodes.
    fn new(store: &'a S, loads: &'a Option<RefCell<Vec<B256>>>) -> Self {
        Self {
            store,
            loads: loads.as_ref(),
        }
    }
}

impl<S: NodeReader + ?Sized> NodeReader for Tracked<'_, S> {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, StoreError> {
        let node = self.store.node(hash)?;
        if let (Some(loads), Some(_)) = (self.loads, &node) {
            loads.borrow_mut().push(*hash);
        }
        Ok(node)
    }
}

/// Before a commit: moves to `stale` every entry of `tracked` (stored nodes loaded or created
/// since the last commit) that no longer has a place in the trie under `root`, and empties
/// `tracked`.
///
/// A tracked node still has its place exactly when it is still in memory and clean: changing a
/// node clears its cached reference (and its ancestors'), and a subtree moved elsewhere whole
/// keeps its node, clean. Both sides are multisets, so a node held in two places counts twice.
fn find_stale(root: &Node, tracked: &mut Vec<B256>, stale: &mut Vec<B256>) {
    if tracked.is_empty() {
        return;
    }
    let mut kept = Vec::with_capacity(tracked.len());
    match root {
        Node::Empty | Node::Hash(_) => {}
        // A clean root is the same root: nothing changed, nothing is stale.
        root if !root.is_dirty() => {
            tracked.clear();
            return;
        }
        root => root.clean_stored(&mut kept),
    }
    tracked.sort_unstable();
    kept.sort_unstable();
    let mut kept = kept.into_iter().peekable();
    for hash in tracked.drain(..) {
        while kept.next_if(|k| *k < hash).is_some() {}
        if kept.next_if_eq(&hash).is_none() {
            stale.push(hash);
        }
    }
}

/// Reads and decodes the node stored under `hash`, found at `path`.
fn load(
    store: &(impl NodeReader + ?Sized),
    hash: B256,
    path: impl FnOnce() -> Nibbles,
) -> TrieResult<Node> {
    Node::decode(&read_node(store, hash, path)?, hash)
}

/// Inserts `value` (non-empty) under `key`, whose first `depth` nibbles lead to `node`.
/// Returns whether anything changed.
fn insert(
    node: &mut Node,
    store: &(impl NodeReader + ?Sized),
    key: &Nibbles,
    depth: usize,
    value: Bytes,
) -> TrieResult<bool> {
    match node {
        Node::Empty => {
            *node = Node::leaf(key.slice(depth..), value);
            Ok(true)
        }
        Node::Hash(hash) => {
            *node = load(store, *hash, || key.slice(..depth))?;
            insert(node, store, key, depth, value)
        }
        Node::Leaf(leaf) => {
            let rest = key.slice(depth..);
            if leaf.path == rest {
                if leaf.value == value {
                    return Ok(false);
                }
                leaf.value = value;
                leaf.cache = None;
                return Ok(true);
            }
            // Split: a branch where the two paths part, under an extension for their common
            // prefix.
            let common = leaf.path.common_prefix_length(&rest);
            let mut branch = Box::<Branch>::default();
            branch.place(leaf.path.slice(common..), core::mem::take(&mut leaf.value));
            branch.place(rest.slice(common..), value);
            *node = Node::extension_over(rest.slice(..common), Node::Branch(branch));
            Ok(true)
        }
        Node::Extension(ext) => {
            let rest = key.slice(depth..);
            let common = ext.path.common_prefix_length(&rest);
            if common == ext.path.len() {
                let changed = insert(&mut ext.child, store, key, depth + common, value)?;
                if changed {
                    ext.cache = None;
                }
                return Ok(changed);
            }
            // Split the extension where the key leaves it.
            let mut branch = Box::<Branch>::default();
            let below = ext.path.slice(common + 1..);
            branch.children[usize::from(ext.path.get_unchecked(common))] =
                Node::extension_over(below, core::mem::take(&mut ext.child));
            branch.place(rest.slice(common..), value);
            *node = Node::extension_over(rest.slice(..common), Node::Branch(branch));
            Ok(true)
        }
        Node::Branch(branch) => {
            let changed = match key.get(depth) {
                None if branch.value.as_ref() == Some(&value) => false,
                None => {
                    branch.value = Some(value);
                    true
                }
                Some(nibble) => {
                    let child = &mut branch.children[usize::from(nibble)];
                    insert(child, store, key, depth + 1, value)?
                }
            };
            if changed {
                branch.cache = None;
            }
            Ok(changed)
        }
    }
}

/// Removes `key`, whose first `depth` nibbles lead to `node`. Returns whether anything changed.
///
/// A subtree that changed is never left empty except a leaf (removed), so only the branch
/// directly holding the removed leaf or value can be left with a single entry; its last child
/// is loaded before anything changes, which keeps removals from a complete store atomic.
fn remove(
    node: &mut Node,
    store: &(impl NodeReader + ?Sized),
    key: &Nibbles,
    depth: usize,
) -> TrieResult<bool> {
    match node {
        Node::Empty => Ok(false),
        Node::Hash(hash) => {
            *node = load(store, *hash, || key.slice(..depth))?;
            remove(node, store, key, depth)
        }
        Node::Leaf(leaf) => {
            if leaf.path != key.slice(depth..) {
                return Ok(false);
            }
            *node = Node::Empty;
            Ok(true)
        }
        Node::Extension(ext) => {
            if !key.slice(depth..).starts_with(&ext.path) {
                return Ok(false);
            }
            let result = remove(&mut ext.child, store, key, depth + ext.path.len());
            if !matches!(result, Ok(false)) {
                // On error too: the subtree may have changed before the failure.
                ext.cache = None;
            }
            if !result? {
                return Ok(false);
            }
            // Merge the extension with what its child became, if that is not a branch.
            let merged = match &mut ext.child {
                Node::Empty => Some(Node::Empty),
                Node::Leaf(child) => {
                    child.path =
                        join(&ext.path, &child.path).ok_or_else(|| TrieError::PathTooLong {
                            prefix: key.slice(..depth),
                        })?;
                    child.cache = None;
                    Some(core::mem::take(&mut ext.child))
                }
                Node::Extension(child) => {
                    child.path =
                        join(&ext.path, &child.path).ok_or_else(|| TrieError::PathTooLong {
                            prefix: key.slice(..depth),
                        })?;
                    child.cache = None;
                    Some(core::mem::take(&mut ext.child))
                }
                Node::Branch(_) | Node::Hash(_) => None,
            };
            if let Some(merged) = merged {
                *node = merged;
            }
            Ok(true)
        }
        Node::Branch(branch) => {
            let result = remove_from_branch(branch, store, key, depth);
            if !matches!(result, Ok(false)) {
                branch.cache = None;
            }
            if !result? {
                return Ok(false);
            }
            collapse(node, store, key, depth)?;
            Ok(true)
        }
    }
}

/// Removes `key` from below `branch` (at `depth`), without collapsing `branch` itself.
fn remove_from_branch(
    branch: &mut Branch,
    store: &(impl NodeReader + ?Sized),
    key: &Nibbles,
    depth: usize,
) -> TrieResult<bool> {
    let Some(nibble) = key.get(depth) else {
        if branch.value.is_none() {
            return Ok(false);
        }
        load_last_child(branch, None, store, key, depth)?;
        branch.value = None;
        return Ok(true);
    };
    let index = usize::from(nibble);
    if let Node::Hash(hash) = branch.children[index] {
        branch.children[index] = load(store, hash, || key.slice(..depth + 1))?;
    }
    match &mut branch.children[index] {
        Node::Leaf(leaf) if leaf.path == key.slice(depth + 1..) => {
            load_last_child(branch, Some(nibble), store, key, depth)?;
            branch.children[index] = Node::Empty;
            Ok(true)
        }
        child => remove(child, store, key, depth + 1),
    }
}

/// Before `branch` (at `depth`) loses the child at `removing` (its value if `None`): if that
/// leaves a single child and no value, loads that child, which the collapse will need.
fn load_last_child(
    branch: &mut Branch,
    removing: Option<u8>,
    store: &(impl NodeReader + ?Sized),
    key: &Nibbles,
    depth: usize,
) -> TrieResult<()> {
    if removing.is_some() && branch.value.is_some() {
        return Ok(());
    }
    let Some(index) = branch.only_child(removing) else {
        return Ok(());
    };
    load_child(branch, index, store, key, depth)
}

/// Loads the child at `index` of `branch` (at `depth`) if it is still a hash.
fn load_child(
    branch: &mut Branch,
    index: usize,
    store: &(impl NodeReader + ?Sized),
    key: &Nibbles,
    depth: usize,
) -> TrieResult<()> {
    if let Node::Hash(hash) = branch.children[index] {
        let path = || {
            let prefix = key.slice(..depth);
            join(&prefix, &Nibbles::from_nibbles_unchecked([index as u8])).unwrap_or(prefix)
        };
        branch.children[index] = load(store, hash, path)?;
    }
    Ok(())
}

/// Turns a branch (at `depth`) left with fewer than two entries into what replaces it: nothing,
/// a leaf for its value, or its only child with the child's nibble prepended to its path.
fn collapse(
    node: &mut Node,
    store: &(impl NodeReader + ?Sized),
    key: &Nibbles,
    depth: usize,
) -> TrieResult<()> {
    let Node::Branch(branch) = node else {
        return Ok(());
    };
    let has_value = branch.value.is_some();
    let occupied = branch
        .children
        .iter()
        .filter(|child| !matches!(child, Node::Empty))
        .count();
    if occupied + usize::from(has_value) >= 2 {
        return Ok(());
    }
    if occupied == 0 {
        *node = match branch.value.take() {
            Some(value) => Node::leaf(Nibbles::new(), value),
            None => Node::Empty,
        };
        return Ok(());
    }
    let Some(index) = branch.only_child(None) else {
        return Ok(());
    };
    load_child(branch, index, store, key, depth)?;
    let nibble = index as u8;
    let too_long = || TrieError::PathTooLong {
        prefix: key.slice(..depth),
    };
    let child = &mut branch.children[index];
    let replacement = match child {
        Node::Leaf(leaf) => {
            leaf.path = prepend(nibble, &leaf.path).ok_or_else(too_long)?;
            leaf.cache = None;
            core::mem::take(child)
        }
        Node::Extension(ext) => {
            ext.path = prepend(nibble, &ext.path).ok_or_else(too_long)?;
            ext.cache = None;
            core::mem::take(child)
        }
        Node::Branch(_) => Node::Extension(Box::new(Extension {
            path: Nibbles::from_nibbles_unchecked([nibble]),
            child: core::mem::take(child),
            cache: None,
        })),
        Node::Empty | Node::Hash(_) => return Ok(()),
    };
    *node = replacement;
    Ok(())
}
