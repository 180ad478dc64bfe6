//! A stable hash: the same on every machine and Rust version, for store keys and the
//! content of datasets.

/// FNV-1a, 128-bit: a stable hash (the same on every machine and Rust version).
#[derive(Clone, Copy)]
pub(crate) struct Fnv(pub(crate) u128);

impl Fnv {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;

    pub(crate) fn new() -> Self {
        Fnv(Self::OFFSET)
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) -> &mut Self {
        for &x in b {
            self.0 ^= x as u128;
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
        self
    }

    pub(crate) fn u64(&mut self, x: u64) -> &mut Self {
        self.bytes(&x.to_le_bytes())
    }

    pub(crate) fn f64(&mut self, x: f64) -> &mut Self {
        self.u64(x.to_bits())
    }

    pub(crate) fn tag(&mut self, s: &str) -> &mut Self {
        self.u64(s.len() as u64).bytes(s.as_bytes())
    }
}
