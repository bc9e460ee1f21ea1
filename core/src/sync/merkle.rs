//! The hub's log as an RFC 9162 (Certificate Transparency v2) Merkle tree, through the `ct-merkle` crate: leaves
//! are event hashes, in the hub's global order. The hub keeps the tree and proves; devices and auditors verify.

use super::{Digest32, SyncError};
use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use merkle_sha2::Sha256;

/// A tree size and the root hash of the tree of that size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TreeHead {
    /// Number of leaves.
    pub size: u64,
    /// The RFC 9162 root hash (SHA-256 of the empty string for the empty tree).
    pub root: Digest32,
}

impl TreeHead {
    /// The head of the empty tree.
    pub fn empty() -> TreeHead {
        TreeHead {
            size: 0,
            root: Digest32(empty_root()),
        }
    }

    fn root_hash(&self) -> RootHash<Sha256> {
        RootHash::new(self.root.0.into(), self.size)
    }
}

/// SHA-256 of nothing: RFC 9162's root of the empty tree.
fn empty_root() -> [u8; 32] {
    use merkle_sha2::Digest;
    Sha256::digest([]).into()
}

/// An append-only Merkle tree, kept in memory (the hub rebuilds it from storage at start; a million events take
/// about 100 MB). Leaves are event hashes on the hub; any byte strings for the RFC 6962 test vectors.
#[derive(Debug, Clone)]
pub struct MerkleLog<L: AsRef<[u8]> = [u8; 32]> {
    tree: MemoryBackedTree<Sha256, L>,
}

impl<L: AsRef<[u8]>> Default for MerkleLog<L> {
    fn default() -> Self {
        MerkleLog {
            tree: MemoryBackedTree::new(),
        }
    }
}

impl<L: AsRef<[u8]>> MerkleLog<L> {
    /// An empty log.
    pub fn new() -> MerkleLog<L> {
        MerkleLog::default()
    }

    /// Append a leaf.
    pub fn push(&mut self, leaf: L) {
        self.tree.push(leaf);
    }

    /// Cut the tree back to its first `len` leaves (to undo appends whose storage failed). Rebuilds the tree from
    /// its leaves: linear in the tree's size, meant for that rare case only.
    pub fn truncate(&mut self, len: u64)
    where
        L: Clone,
    {
        if len >= self.len() {
            return;
        }
        let keep = usize::try_from(len).unwrap_or(usize::MAX);
        let mut tree = MemoryBackedTree::new();
        for leaf in self.tree.items().iter().take(keep) {
            tree.push(leaf.clone());
        }
        self.tree = tree;
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.tree.len()
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// The leaf at `index`.
    pub fn leaf(&self, index: u64) -> Option<&L> {
        usize::try_from(index).ok().and_then(|i| self.tree.get(i))
    }

    /// The current head.
    pub fn head(&self) -> TreeHead {
        if self.tree.is_empty() {
            return TreeHead::empty();
        }
        let root = self.tree.root();
        TreeHead {
            size: root.num_leaves(),
            root: Digest32(digest_bytes(root.as_bytes())),
        }
    }

    /// The audit path proving the leaf at `index` is in the current tree.
    pub fn prove_inclusion(&self, index: u64) -> Result<Vec<Digest32>, SyncError> {
        if index >= self.len() {
            return Err(SyncError::BadProof("inclusion index beyond the tree"));
        }
        let index = usize::try_from(index).map_err(|_| SyncError::BadProof("index too large"))?;
        Ok(split(self.tree.prove_inclusion(index).as_bytes()))
    }

    /// The proof that the tree of `old_size` leaves is a prefix of the current tree (empty when there is nothing to
    /// prove: an empty old tree, or no new leaves).
    pub fn prove_consistency(&self, old_size: u64) -> Result<Vec<Digest32>, SyncError> {
        let size = self.len();
        if old_size > size {
            return Err(SyncError::BadProof("old tree larger than the current tree"));
        }
        if old_size == 0 || old_size == size {
            return Ok(Vec::new());
        }
        let additions =
            usize::try_from(size - old_size).map_err(|_| SyncError::BadProof("tree too large"))?;
        Ok(split(self.tree.prove_consistency(additions).as_bytes()))
    }
}

/// Check that `leaf` is at `index` in the tree `head`.
pub fn verify_inclusion(
    head: &TreeHead,
    index: u64,
    leaf: &[u8],
    proof: &[Digest32],
) -> Result<(), SyncError> {
    let proof = InclusionProof::<Sha256>::try_from_bytes(join(proof))
        .map_err(|_| SyncError::BadProof("malformed inclusion proof"))?;
    head.root_hash()
        .verify_inclusion(&leaf, index, &proof)
        .map_err(|_| SyncError::NotIncluded { index })
}

/// Check that the tree `old` is a prefix of the tree `new`. Equal sizes need equal roots; an empty old tree is a
/// prefix of everything.
pub fn verify_consistency(
    old: &TreeHead,
    new: &TreeHead,
    proof: &[Digest32],
) -> Result<(), SyncError> {
    if old.size > new.size {
        return Err(SyncError::Rollback {
            seen: old.size,
            offered: new.size,
        });
    }
    if old.size == 0 {
        return Ok(());
    }
    if old.size == new.size {
        return if old.root == new.root && proof.is_empty() {
            Ok(())
        } else {
            Err(SyncError::Fork { size: old.size })
        };
    }
    let proof = ConsistencyProof::<Sha256>::try_from_bytes(join(proof))
        .map_err(|_| SyncError::Fork { size: old.size })?;
    new.root_hash()
        .verify_consistency(&old.root_hash(), &proof)
        .map_err(|_| SyncError::Fork { size: old.size })
}

fn digest_bytes(output: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&output[..32]);
    out
}

fn split(bytes: &[u8]) -> Vec<Digest32> {
    bytes
        .chunks_exact(32)
        .map(|chunk| Digest32(digest_bytes(chunk)))
        .collect()
}

fn join(proof: &[Digest32]) -> Vec<u8> {
    proof.iter().flat_map(|d| d.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_truncated_tree_has_the_head_it_had_at_that_size_and_grows_again_the_same_way() {
        let mut log: MerkleLog = MerkleLog::new();
        let mut heads = vec![log.head()];
        for i in 0u8..13 {
            log.push([i; 32]);
            heads.push(log.head());
        }
        log.truncate(13);
        assert_eq!(
            log.head(),
            heads[13],
            "truncating to the size it has changes nothing"
        );
        log.truncate(5);
        assert_eq!(log.head(), heads[5]);
        for i in 5u8..13 {
            log.push([i; 32]);
        }
        assert_eq!(log.head(), heads[13]);
        log.truncate(0);
        assert_eq!(log.head(), TreeHead::empty());
    }

    #[test]
    fn every_inclusion_and_consistency_proof_of_a_growing_tree_verifies_and_a_wrong_one_does_not() {
        let mut log: MerkleLog = MerkleLog::new();
        let mut heads = vec![log.head()];
        for i in 0u8..40 {
            log.push([i; 32]);
            heads.push(log.head());
        }
        let now = log.head();
        for index in 0..log.len() {
            let proof = log.prove_inclusion(index).unwrap();
            verify_inclusion(&now, index, &[index as u8; 32], &proof).unwrap();
            assert!(verify_inclusion(&now, index, &[0xEE; 32], &proof).is_err());
        }
        for old in &heads {
            let proof = log.prove_consistency(old.size).unwrap();
            verify_consistency(old, &now, &proof).unwrap();
            if old.size > 0 && old.size < now.size {
                let forged = TreeHead {
                    size: old.size,
                    root: Digest32([0xAB; 32]),
                };
                assert!(verify_consistency(&forged, &now, &proof).is_err());
            }
        }
        assert!(matches!(
            verify_consistency(&now, &heads[3], &[]),
            Err(SyncError::Rollback { .. })
        ));
    }
}
