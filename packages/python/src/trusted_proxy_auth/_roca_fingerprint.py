"""The ROCA fingerprint (CVE-2017-15361, Nemec et al., "The Return of Coppersmith's Attack", CCS 2017).

Infineon's RSALib built every prime as k*M + (65537**a mod M), M a primorial, so a modulus n = p*q is,
modulo each small prime r dividing M, a power of 65537. Such a modulus can be factored; a random modulus
passes this test for all the primes below with probability about 2**-154 (the paper's detector uses the
same primes). This is a policy check on public data, not cryptography.
"""

from __future__ import annotations

_FINGERPRINT_PRIMES = (
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
)  # fmt: skip
_GENERATOR = 65537


def _powers_of_generator(prime: int) -> frozenset[int]:
    """The residues 65537**a mod prime: the subgroup 65537 generates in the integers mod prime."""
    powers: set[int] = set()
    power = 1
    while power not in powers:
        powers.add(power)
        power = power * _GENERATOR % prime
    return frozenset(powers)


_POWERS_OF_GENERATOR = {prime: _powers_of_generator(prime) for prime in _FINGERPRINT_PRIMES}


def has_roca_fingerprint(n: int) -> bool:
    """Whether the RSA modulus `n` has the ROCA fingerprint: n mod r lies in <65537> for every prime r listed."""
    return all(n % prime in powers for prime, powers in _POWERS_OF_GENERATOR.items())
