#pragma once
// Password hashes: OpenSSL scrypt, stored as `scrypt$logN$r$p$<salt b64>$<key b64>` so the
// parameters can be raised later and old hashes recognised and rehashed at login.

#include <QString>

namespace Mercato::Passwords {

constexpr int kDefaultLogN = 17; // N = 2^17
constexpr int kBlockSize = 8;    // r
constexpr int kParallelism = 1;  // p
constexpr int kSaltBytes = 16;
constexpr int kKeyBytes = 32;

// A new self-describing hash of `password` (its UTF-8 bytes) with N = 2^logN, r = 8, p = 1.
// Empty only when OpenSSL fails (out of memory).
QString hash(const QString &password, int logN = kDefaultLogN);

struct Check
{
    bool matches = false;
    bool needsRehash = false; // matches, but stored with weaker parameters than `logN`
};
// Compares in constant time. A malformed stored hash never matches (and still costs a hash).
Check verify(const QString &password, const QString &stored, int logN = kDefaultLogN);

// Spends the time of one verify against a hash of these parameters and returns false: what
// a login of an unknown email does, so its answer takes as long as a wrong password's.
bool verifyDummy(const QString &password, int logN = kDefaultLogN);

// The scrypt work this process has started so far, as the sum of N·r·p over every derivation
// (hash, verify and dummy alike): what a test compares to show that two logins cost the same.
quint64 workDone();

} // namespace Mercato::Passwords
