//! The hub's Merkle code against the RFC 6962 / transparency-dev reference vectors: the eight reference leaves,
//! the root of every prefix, and the reference inclusion and consistency proofs, each produced and verified.
//! Vectors: transparency-dev/merkle `testonly/reference_test.go` and certificate-transparency's tree tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use azukari_core::sync::{Digest32, MerkleLog, TreeHead, verify_consistency, verify_inclusion};

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Root of the tree of the first n leaves, n = 1..=8.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (tree size, leaf index, audit path).
const INCLUSION: &[(u64, u64, &[&str])] = &[
    (1, 0, &[]),
    (
        2,
        0,
        &["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"],
    ),
    (
        2,
        1,
        &["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"],
    ),
    (
        3,
        2,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        5,
        1,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        8,
        0,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        8,
        5,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

/// (old size, new size, proof).
const CONSISTENCY: &[(u64, u64, &[&str])] = &[
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn digests(hexes: &[&str]) -> Vec<Digest32> {
    hexes
        .iter()
        .map(|h| Digest32::from_hex(h).unwrap())
        .collect()
}

fn tree(size: u64) -> MerkleLog<Vec<u8>> {
    let mut log = MerkleLog::new();
    for leaf in LEAVES.iter().take(size as usize) {
        log.push(bytes(leaf));
    }
    log
}

#[test]
fn the_empty_tree_has_the_hash_of_nothing_as_its_root() {
    assert_eq!(
        tree(0).head().root.to_hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn every_prefix_has_the_reference_root() {
    for (n, root) in ROOTS.iter().enumerate() {
        let head = tree(n as u64 + 1).head();
        assert_eq!(head.size, n as u64 + 1);
        assert_eq!(head.root.to_hex(), *root, "root of {} leaves", n + 1);
    }
}

#[test]
fn inclusion_proofs_match_the_reference_and_verify() {
    for (size, index, path) in INCLUSION {
        let log = tree(*size);
        let proof = log.prove_inclusion(*index).unwrap();
        assert_eq!(proof, digests(path), "size {size} index {index}");
        let leaf = bytes(LEAVES[*index as usize]);
        verify_inclusion(&log.head(), *index, &leaf, &proof).unwrap();
        assert!(verify_inclusion(&log.head(), *index, b"not the leaf", &proof).is_err());
    }
}

#[test]
fn consistency_proofs_match_the_reference_and_verify() {
    for (old, new, path) in CONSISTENCY {
        let log = tree(*new);
        let proof = log.prove_consistency(*old).unwrap();
        assert_eq!(proof, digests(path), "{old} -> {new}");
        let old_head = TreeHead {
            size: *old,
            root: Digest32::from_hex(ROOTS[*old as usize - 1]).unwrap(),
        };
        verify_consistency(&old_head, &log.head(), &proof).unwrap();
        if old != new {
            let wrong = TreeHead {
                size: *old,
                root: Digest32::from_hex(ROOTS[*new as usize - 1]).unwrap(),
            };
            assert!(verify_consistency(&wrong, &log.head(), &proof).is_err());
        }
    }
}
