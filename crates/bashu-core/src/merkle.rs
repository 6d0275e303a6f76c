//! RFC 6962 Merkle tree hashing over a log, kept incrementally as a frontier.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// `SHA-256(0x00 ‖ data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The roots of the perfect subtrees that make up a log of `size` leaves, largest first:
/// enough to append and to compute the root in O(log n), and small enough to persist.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    nodes: Vec<Hash>,
}

/// Error decoding a persisted frontier.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("persisted Merkle frontier is malformed")]
pub struct FrontierDecodeError;

impl Frontier {
    pub fn new() -> Frontier {
        Frontier::default()
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf, given its leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut s = self.size;
        while s & 1 == 1 {
            // A set low bit means a subtree of the same height is waiting on the left.
            let left = self.nodes.pop().unwrap_or(h);
            h = node_hash(&left, &h);
            s >>= 1;
        }
        self.nodes.push(h);
        self.size += 1;
    }

    /// RFC 6962 Merkle Tree Hash of the leaves pushed so far.
    pub fn root(&self) -> Hash {
        let mut iter = self.nodes.iter().rev();
        let Some(last) = iter.next() else {
            return empty_root();
        };
        iter.fold(*last, |acc, left| node_hash(left, &acc))
    }

    /// `size (u64 BE) ‖ nodes`; the number of nodes follows from the size.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 32 * self.nodes.len());
        out.extend_from_slice(&self.size.to_be_bytes());
        for n in &self.nodes {
            out.extend_from_slice(n);
        }
        out
    }

    pub fn decode(b: &[u8]) -> Result<Frontier, FrontierDecodeError> {
        let (size, rest) = b.split_first_chunk::<8>().ok_or(FrontierDecodeError)?;
        let size = u64::from_be_bytes(*size);
        if rest.len() != 32 * size.count_ones() as usize {
            return Err(FrontierDecodeError);
        }
        let nodes = rest
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                h
            })
            .collect();
        Ok(Frontier { size, nodes })
    }
}

/// The Merkle Tree Hash of RFC 6962 §2.1, computed recursively from leaf hashes. The
/// reference definition the frontier is tested against.
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            // The largest power of two strictly below n.
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn frontier_matches_reference_for_every_size() {
        let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut f = Frontier::new();
        assert_eq!(f.root(), empty_root());
        for (i, l) in leaves.iter().enumerate() {
            f.push(*l);
            assert_eq!(f.size(), i as u64 + 1);
            assert_eq!(f.root(), root_of(&leaves[..=i]), "size {}", i + 1);
            assert_eq!(Frontier::decode(&f.encode()).unwrap(), f);
        }
    }

    #[test]
    fn rfc6962_split_is_largest_power_of_two_below_n() {
        // n = 3: MTH = node(node(l0, l1), l2).
        let l: Vec<Hash> = (0u8..3).map(|i| leaf_hash(&[i])).collect();
        assert_eq!(root_of(&l), node_hash(&node_hash(&l[0], &l[1]), &l[2]));
        // n = 4: node(node(l0,l1), node(l2,l3)).
        let l: Vec<Hash> = (0u8..4).map(|i| leaf_hash(&[i])).collect();
        assert_eq!(
            root_of(&l),
            node_hash(&node_hash(&l[0], &l[1]), &node_hash(&l[2], &l[3]))
        );
    }

    #[test]
    fn known_empty_and_leaf_vectors() {
        // RFC 6962 test vectors: empty tree hash and the hash of the empty leaf.
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex::encode(leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn malformed_frontier_is_refused() {
        assert_eq!(Frontier::decode(&[0; 7]), Err(FrontierDecodeError));
        let mut b = 3u64.to_be_bytes().to_vec();
        b.extend_from_slice(&[0; 32]);
        assert_eq!(Frontier::decode(&b), Err(FrontierDecodeError));
    }
}
