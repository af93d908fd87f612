//! [`ScopeSet`]: application scopes interned as bits, so that covering, union and difference
//! are a few word operations.

/// The most distinct application scopes one policy may use (they are interned as bits).
pub(crate) const MAX_SCOPES: usize = 256;

/// An application scope interned by a policy: its number, below [`MAX_SCOPES`] by
/// construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ScopeId(u8);

impl ScopeId {
    /// The id of scope number `i`, if a policy may have that many scopes.
    pub(crate) fn new(i: usize) -> Option<Self> {
        u8::try_from(i).ok().map(Self)
    }

    /// The scope's number.
    pub(crate) fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// A set of application scopes, as bits (at most 256 distinct scopes a policy may name).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet([u64; 4]);

impl ScopeSet {
    /// The empty set.
    pub const EMPTY: Self = Self([0; 4]);

    /// The set as its 256 bits (what a caller remembers; see [`ScopeSet::from_bits`]).
    pub(crate) fn bits(self) -> [u64; 4] {
        self.0
    }

    /// The set of `bits`, as [`ScopeSet::bits`] gave them.
    pub(crate) fn from_bits(bits: [u64; 4]) -> Self {
        Self(bits)
    }

    /// Adds scope number `i`.
    pub fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    /// The set with `id` added.
    #[must_use]
    pub(crate) fn with(mut self, id: ScopeId) -> Self {
        let i = id.index();
        self.0[i / 64] |= 1 << (i % 64);
        self
    }

    /// The set of `ids`.
    pub(crate) fn of(ids: impl IntoIterator<Item = ScopeId>) -> Self {
        ids.into_iter().fold(Self::EMPTY, Self::with)
    }

    /// Whether scope number `i` is in the set.
    pub fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    /// The union.
    #[must_use]
    pub fn union(self, other: Self) -> Self {
        let mut out = self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        out
    }

    /// The scopes of `self` not in `other`.
    #[must_use]
    pub fn minus(self, other: Self) -> Self {
        let mut out = self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a &= !b;
        }
        out
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// Whether every scope of `other` is in `self`.
    pub fn covers(&self, other: Self) -> bool {
        other.minus(*self).is_empty()
    }

    /// The scope numbers, ascending.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..256).filter(move |&i| self.contains(i))
    }
}

#[cfg(test)]
mod tests {
    use super::ScopeSet;

    #[test]
    fn scope_sets_cover_union_and_difference() {
        let mut a = ScopeSet::EMPTY;
        a.insert(0);
        a.insert(63);
        a.insert(64);
        a.insert(255);
        let mut b = ScopeSet::EMPTY;
        b.insert(64);
        assert!(a.covers(b));
        assert!(!b.covers(a));
        assert_eq!(a.minus(b).iter().collect::<Vec<_>>(), [0, 63, 255]);
        assert_eq!(b.union(a), a);
        assert!(ScopeSet::EMPTY.is_empty() && a.covers(ScopeSet::EMPTY));
    }
}
