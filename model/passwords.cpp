#include "passwords.h"

#include "ids.h"

#include <QByteArray>
#include <QHash>
#include <QList>

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <semaphore>
#include <thread>

namespace Mercato::Passwords {

namespace {

constexpr int kMinLogN = 10;
constexpr int kMaxLogN = 20;

std::atomic<quint64> g_work{0};

std::optional<QByteArray> derive(const QByteArray &password, const QByteArray &salt, int logN,
                                 int r, int p, int keyBytes)
{
    if (logN < kMinLogN || logN > kMaxLogN || r < 1 || r > 32 || p < 1 || p > 16 || keyBytes < 16
        || keyBytes > 64)
        return std::nullopt;
    const quint64 n = quint64(1) << logN;
    // OpenSSL refuses anything above maxmem (32 MiB by default): V is 128·r·(N+2) bytes,
    // B is 128·r·p; N = 2^17 with r = 8 needs about 129 MiB.
    const quint64 maxmem = 128ULL * quint64(r) * (n + quint64(p) + 2) + (1ULL << 20);
    // At most a few derivations at once: each takes that memory, and a flood of logins must
    // queue rather than exhaust it.
    static std::counting_semaphore<64> slots(
            std::clamp<std::ptrdiff_t>(std::thread::hardware_concurrency(), 2, 8));
    slots.acquire();
    struct Release
    {
        ~Release() { slots.release(); }
    } release;
    g_work += n * quint64(r) * quint64(p);
    QByteArray key(keyBytes, Qt::Uninitialized);
    if (EVP_PBE_scrypt(password.constData(), size_t(password.size()),
                       reinterpret_cast<const unsigned char *>(salt.constData()),
                       size_t(salt.size()), n, quint64(r), quint64(p), maxmem,
                       reinterpret_cast<unsigned char *>(key.data()), size_t(key.size()))
        != 1)
        return std::nullopt;
    return key;
}

struct Parsed
{
    int logN = 0;
    int r = 0;
    int p = 0;
    QByteArray salt;
    QByteArray key;
};

std::optional<Parsed> parse(const QString &stored)
{
    const QStringList parts = stored.split(QLatin1Char('$'));
    if (parts.size() != 6 || parts.at(0) != QLatin1String("scrypt"))
        return std::nullopt;
    Parsed out;
    bool ok1 = false, ok2 = false, ok3 = false;
    out.logN = parts.at(1).toInt(&ok1);
    out.r = parts.at(2).toInt(&ok2);
    out.p = parts.at(3).toInt(&ok3);
    if (!ok1 || !ok2 || !ok3)
        return std::nullopt;
    auto salt = QByteArray::fromBase64Encoding(parts.at(4).toLatin1(),
                                               QByteArray::AbortOnBase64DecodingErrors);
    auto key = QByteArray::fromBase64Encoding(parts.at(5).toLatin1(),
                                              QByteArray::AbortOnBase64DecodingErrors);
    if (!salt || !key || (*salt).isEmpty() || (*key).size() < 16)
        return std::nullopt;
    out.salt = *salt;
    out.key = *key;
    return out;
}

QString format(int logN, int r, int p, const QByteArray &salt, const QByteArray &key)
{
    return QStringLiteral("scrypt$%1$%2$%3$%4$%5")
            .arg(logN)
            .arg(r)
            .arg(p)
            .arg(QString::fromLatin1(salt.toBase64()), QString::fromLatin1(key.toBase64()));
}

} // namespace

QString hash(const QString &password, int logN)
{
    const QByteArray salt = Ids::randomBytes(kSaltBytes);
    const auto key = derive(password.toUtf8(), salt, logN, kBlockSize, kParallelism, kKeyBytes);
    if (!key)
        return {};
    return format(logN, kBlockSize, kParallelism, salt, *key);
}

Check verify(const QString &password, const QString &stored, int logN)
{
    const auto parsed = parse(stored);
    if (!parsed) {
        verifyDummy(password, logN);
        return {};
    }
    const auto key = derive(password.toUtf8(), parsed->salt, parsed->logN, parsed->r, parsed->p,
                            int(parsed->key.size()));
    if (!key)
        return {};
    Check out;
    out.matches = Ids::constantTimeEquals(*key, parsed->key);
    out.needsRehash = out.matches
                      && (parsed->logN < logN || parsed->r < kBlockSize || parsed->p < kParallelism
                          || parsed->salt.size() < kSaltBytes || parsed->key.size() < kKeyBytes);
    return out;
}

quint64 workDone()
{
    return g_work.load();
}

bool verifyDummy(const QString &password, int logN)
{
    // One fixed salt and key per parameter set; deriving costs what a real check costs.
    static std::mutex mutex;
    static QHash<int, QByteArray> salts;
    QByteArray salt;
    {
        std::lock_guard lock(mutex);
        auto it = salts.find(logN);
        if (it == salts.end())
            it = salts.insert(logN, Ids::randomBytes(kSaltBytes));
        salt = it.value();
    }
    const auto key = derive(password.toUtf8(), salt, logN, kBlockSize, kParallelism, kKeyBytes);
    const QByteArray never(kKeyBytes, '\0');
    if (key)
        (void)Ids::constantTimeEquals(*key, never);
    return false;
}

} // namespace Mercato::Passwords
