// What the fuzzers (tests/fuzz) found, kept as regression tests of the normal suite.

#include "model/database.h"
#include "model/stripe.h"
#include "model/tokens.h"
#include "server/jsonbody.h"

#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QTest>

#include <limits>

using namespace Mercato;
using namespace Mercato::Http;

class TestFuzzFindings : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void integerFieldOutsideQint64_data();
    void integerFieldOutsideQint64();
    void tokenTimesOutsideQint64_data();
    void tokenTimesOutsideQint64();
    void stripeTimestampAtQint64Edges_data();
    void stripeTimestampAtQint64Edges();
    void redactedDatabaseUrlKeepsPercentSigns();
};

// fuzz_json_body: a JSON number at 2^63 passed `d > double(INT64_MAX)` and was converted to
// qint64 (undefined; INT64_MIN in practice).
void TestFuzzFindings::integerFieldOutsideQint64_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("accepted");
    QTest::addColumn<qint64>("value");
    QTest::newRow("2^63-1 as written") << QByteArray("9223372036854775807") << false << qint64(0);
    QTest::newRow("1e300") << QByteArray("1e300") << false << qint64(0);
    QTest::newRow("-1e300") << QByteArray("-1e300") << false << qint64(0);
    QTest::newRow("-2^63") << QByteArray("-9223372036854775808") << true
                           << std::numeric_limits<qint64>::min();
    QTest::newRow("2^53") << QByteArray("9007199254740992") << true << qint64(9007199254740992);
}

void TestFuzzFindings::integerFieldOutsideQint64()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, accepted);
    QFETCH(qint64, value);
    const QJsonObject object = QJsonDocument::fromJson("{\"q\":" + json + "}").object();
    QVERIFY(object.contains(QStringLiteral("q")));
    FieldReader f(object);
    const auto got
            = f.integer(QStringLiteral("q"), Need::Required, std::numeric_limits<qint64>::min(),
                        std::numeric_limits<qint64>::max());
    QCOMPARE(got.has_value(), accepted);
    QCOMPARE(f.ok(), accepted);
    if (accepted)
        QCOMPARE(*got, value);
    else
        QCOMPARE(f.error().fields.value(0).field, QStringLiteral("q"));
}

// fuzz_jwt: a correctly signed token with `iat`/`exp` beyond qint64 reached qint64(double).
void TestFuzzFindings::tokenTimesOutsideQint64_data()
{
    QTest::addColumn<QByteArray>("iat");
    QTest::addColumn<QByteArray>("exp");
    QTest::newRow("iat 1e300") << QByteArray("1e300") << QByteArray("4102444800");
    QTest::newRow("exp 1e19") << QByteArray("1750000000") << QByteArray("1e19");
    QTest::newRow("exp 2^63") << QByteArray("1750000000") << QByteArray("9223372036854775808");
    QTest::newRow("exp -1") << QByteArray("1750000000") << QByteArray("-1");
}

void TestFuzzFindings::tokenTimesOutsideQint64()
{
    QFETCH(QByteArray, iat);
    QFETCH(QByteArray, exp);
    const QByteArray key(32, 'k');
    constexpr auto b64 = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
    const QByteArray header = QByteArray(R"({"alg":"HS256","typ":"JWT"})").toBase64(b64);
    const QByteArray claimsJson = R"({"iss":"mercato","sub":"u1","role":"seller","typ":"access",)"
                                  R"("jti":"j1","iat":)"
                                  + iat + ",\"exp\":" + exp + "}";
    const QByteArray claims = claimsJson.toBase64(b64);
    const QByteArray input = header + '.' + claims;
    const QByteArray sig = QMessageAuthenticationCode::hash(input, key, QCryptographicHash::Sha256)
                                   .toBase64(b64);
    const auto verified = TokenService(key).verify(QString::fromLatin1(input + '.' + sig));
    QVERIFY(!verified);
    QCOMPARE(verified.error().code, ErrorCode::Unauthenticated);
}

// fuzz_stripe_signature: `std::abs(now - t)` overflowed for a signed `t` near INT64_MIN, and
// the wrapped difference passed the tolerance check.
void TestFuzzFindings::stripeTimestampAtQint64Edges_data()
{
    QTest::addColumn<QByteArray>("t");
    QTest::newRow("INT64_MIN") << QByteArray("-9223372036854775808");
    QTest::newRow("now - 2^63") << QByteArray("-9223372035104775808");
    QTest::newRow("INT64_MAX") << QByteArray("9223372036854775807");
}

void TestFuzzFindings::stripeTimestampAtQint64Edges()
{
    QFETCH(QByteArray, t);
    const QByteArray secret("whsec_test");
    const QByteArray payload(R"({"id":"evt_1"})");
    const QByteArray v1 = QMessageAuthenticationCode::hash(t + '.' + payload, secret,
                                                           QCryptographicHash::Sha256)
                                  .toHex();
    const Status s
            = StripeSignature::verify(secret, payload, "t=" + t + ",v1=" + v1, 1'750'000'000);
    QVERIFY(!s);
    QVERIFY2(s.error().detail.contains(QStringLiteral("tolerance")), qPrintable(s.error().detail));
}

// fuzz_database_url: the redacted URL was built with chained arg(), so a user name holding
// "%1" got the port put into it.
void TestFuzzFindings::redactedDatabaseUrlKeepsPercentSigns()
{
    const auto url = DatabaseUrl::parse(QStringLiteral("postgresql://%251:secret@h:5433/db"));
    QVERIFY(url);
    QCOMPARE(url.value().user, QStringLiteral("%1"));
    QCOMPARE(url.value().redacted(), QStringLiteral("postgresql://%1@h:5433/db"));
}

QTEST_GUILESS_MAIN(TestFuzzFindings)
#include "tst_fuzzfindings.moc"
