// The category tree and seller suspension through the API: the tree's rules (owner only,
// slugs, depth, moves, deletes), products' categoryId, productCount with descendants after
// every kind of change, GET /products?categoryId= with paging, sorts, search and the cache;
// suspension and reinstatement (the catalogue, carts, sign-in, refresh, old tokens), counts
// exact across two processes, and `mercato-server check` finding a wrong count.

#include "support/testsupport.h"

#include "model/categories.h"
#include "model/storeowner.h"

#include <QProcess>
#include <QSet>
#include <QTest>
#include <QUrl>

#include <atomic>
#include <thread>

using namespace Mercato;
using namespace Mercato::Test;

namespace {

const QString kPassword = QStringLiteral("category-password-1");

struct Person
{
    QString id;
    QString email;
    QString accessToken;
    QString refreshToken;
};

QString api(const QString &path)
{
    return QStringLiteral("/api/v1") + path;
}

QJsonObject withName(const QString &name, const QJsonValue &parentId = QJsonValue::Undefined)
{
    QJsonObject o{{QStringLiteral("name"), name}};
    if (!parentId.isUndefined())
        o.insert(QStringLiteral("parentId"), parentId);
    return o;
}

bool namesField(const HttpResult &r, const QString &field)
{
    const QJsonArray errors = r.json().value(QStringLiteral("errors")).toArray();
    for (const QJsonValue &e : errors) {
        if (e.toObject().value(QStringLiteral("field")).toString() == field)
            return true;
    }
    return false;
}

QStringList ids(const QJsonArray &items)
{
    QStringList out;
    for (const QJsonValue &v : items)
        out.append(v.toObject().value(QStringLiteral("id")).toString());
    return out;
}

} // namespace

class TestCategories : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();

    void slugs_data();
    void slugs();
    void treeInParentOrderWithSlugs();
    void depthLimitNamesParentId();
    void movesUnderItselfOrADescendantConflict();
    void deleteOnlyWhenEmpty();
    void onlyTheOwnerShapesTheTree_data();
    void onlyTheOwnerShapesTheTree();
    void badInputNamesTheField_data();
    void badInputNamesTheField();
    void productsCarryCategoryId();
    void productCountFollowsEveryChange();
    void concurrentChangesKeepCountsExact();
    void filterIncludesDescendants();
    void filterWithPagingSortsAndSearch();
    void filterFollowsChangesThroughTheCache();
    void suspendAndReinstateMoves();
    void suspendedSellersProductsLeaveTheCatalog();
    void suspensionEndsSessions();
    void countsExactAcrossProcessesAndChecked();

private:
    Person registerPerson(const QString &role, bool approve = true);
    Client as(const Person &p) const;
    QString addCategory(const QString &name, const QString &parent = {});
    QString addProduct(const Person &seller, const QJsonValue &categoryId, qint64 price = 1000,
                       const QString &name = {});
    QHash<QString, qint64> counts() const;
    QList<QJsonObject> walk(const QString &query, int limit) const;
    void verifyStoredCounts();

    std::unique_ptr<TestServer> m_server;
    Person m_owner;
    int m_people = 0;
};

void TestCategories::init()
{
    TestServer::Options options;
    options.settings.sellerApproval = true;
    m_server = std::make_unique<TestServer>(options);
    QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
    // The owner, as the console's first run or `user create --owner` makes it.
    auto made = m_server->shop().accounts().registerAccount(
            {QStringLiteral("owner@categories.test"), kPassword, QStringLiteral("Owner"),
             QStringLiteral("seller")});
    QVERIFY(made);
    QVERIFY(StoreOwner::setOwner(m_server->shop().database(), made->user.id));
    m_owner = {made->user.id, made->user.email, made->accessToken, made->refreshToken};
}

void TestCategories::cleanup()
{
    m_server.reset();
}

Person TestCategories::registerPerson(const QString &role, bool approve)
{
    const QString email = QStringLiteral("%1-%2@categories.test").arg(role).arg(++m_people);
    const HttpResult r = m_server->client().post(
            api(QStringLiteral("/auth/register")),
            {{QStringLiteral("email"), email},
             {QStringLiteral("password"), kPassword},
             {QStringLiteral("displayName"), QStringLiteral("%1 %2").arg(role).arg(m_people)},
             {QStringLiteral("role"), role}});
    if (r.status != 201)
        qWarning() << "register" << r.status << r.body;
    Person p{r.json().value(QStringLiteral("user"))
                     .toObject()
                     .value(QStringLiteral("id"))
                     .toString(),
             email, r.json().value(QStringLiteral("accessToken")).toString(),
             r.json().value(QStringLiteral("refreshToken")).toString()};
    if (role == QLatin1String("seller") && approve) {
        const HttpResult a
                = as(m_owner).post(api(QStringLiteral("/owner/sellers/%1/approve").arg(p.id)));
        if (a.status != 200)
            qWarning() << "approve" << a.status << a.body;
    }
    return p;
}

Client TestCategories::as(const Person &p) const
{
    Client c = m_server->client();
    c.setToken(p.accessToken);
    return c;
}

QString TestCategories::addCategory(const QString &name, const QString &parent)
{
    const HttpResult r = as(m_owner).post(
            api(QStringLiteral("/categories")),
            withName(name, parent.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(parent)));
    if (r.status != 201)
        qWarning() << "add category" << name << r.status << r.body;
    return r.json().value(QStringLiteral("id")).toString();
}

QString TestCategories::addProduct(const Person &seller, const QJsonValue &categoryId, qint64 price,
                                   const QString &name)
{
    const HttpResult r = as(seller).post(
            api(QStringLiteral("/products")),
            {{QStringLiteral("name"), name.isEmpty() ? QStringLiteral("Item %1").arg(price) : name},
             {QStringLiteral("description"), QStringLiteral("categorised")},
             {QStringLiteral("priceCents"), price},
             {QStringLiteral("stock"), 5},
             {QStringLiteral("categoryId"), categoryId}});
    if (r.status != 201)
        qWarning() << "add product" << r.status << r.body;
    return r.json().value(QStringLiteral("id")).toString();
}

// productCount of every category, as GET /categories (anyone) answers it.
QHash<QString, qint64> TestCategories::counts() const
{
    QHash<QString, qint64> out;
    const HttpResult r = m_server->client().get(api(QStringLiteral("/categories")));
    if (r.status != 200)
        qWarning() << "GET /categories" << r.status << r.body;
    const QJsonArray items = r.json().value(QStringLiteral("items")).toArray();
    for (const QJsonValue &v : items)
        out.insert(v.toObject().value(QStringLiteral("id")).toString(),
                   v.toObject().value(QStringLiteral("productCount")).toInteger());
    return out;
}

// Every page of GET /products?<query>, `limit` at a time.
QList<QJsonObject> TestCategories::walk(const QString &query, int limit) const
{
    QList<QJsonObject> out;
    QString cursor;
    for (int pages = 0; pages < 200; ++pages) {
        QString url = api(QStringLiteral("/products?")) + query
                      + QStringLiteral("&limit=%1").arg(limit);
        if (!cursor.isEmpty())
            url += QStringLiteral("&cursor=")
                   + QString::fromLatin1(QUrl::toPercentEncoding(cursor));
        const HttpResult r = m_server->client().get(url);
        if (r.status != 200) {
            qWarning() << url << r.status << r.body;
            return out;
        }
        const QJsonArray items = r.json().value(QStringLiteral("items")).toArray();
        for (const QJsonValue &v : items)
            out.append(v.toObject());
        cursor = r.json().value(QStringLiteral("nextCursor")).toString();
        if (cursor.isEmpty())
            break;
    }
    return out;
}

// The kept counts equal the live products (what `mercato-server check` verifies).
void TestCategories::verifyStoredCounts()
{
    auto mismatches = Categories::verifyCounts(m_server->shop().database().connection());
    QVERIFY(mismatches);
    for (const Categories::CountMismatch &m : mismatches.value())
        qWarning() << "category" << m.categoryId << "keeps" << m.stored << "has" << m.actual;
    QVERIFY(mismatches->isEmpty());
}

// ---- the tree -----------------------------------------------------------------------------

void TestCategories::slugs_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("slug");
    QTest::newRow("plain") << QStringLiteral("Clothing") << QStringLiteral("clothing");
    QTest::newRow("words-and-signs")
            << QStringLiteral("  T-Shirts & Tops!  ") << QStringLiteral("t-shirts-tops");
    QTest::newRow("accents") << QStringLiteral("Crème Brûlée") << QStringLiteral("creme-brulee");
    QTest::newRow("apostrophe") << QStringLiteral("Men's Shoes") << QStringLiteral("mens-shoes");
    QTest::newRow("sharp-s") << QStringLiteral("Straße") << QStringLiteral("strasse");
    QTest::newRow("digits") << QStringLiteral("Size 42 / EU") << QStringLiteral("size-42-eu");
    QTest::newRow("no-latin") << QStringLiteral("日本") << QStringLiteral("category");
    QTest::newRow("long") << QString(120, QLatin1Char('a')) << QString(80, QLatin1Char('a'));
}

void TestCategories::slugs()
{
    QFETCH(QString, name);
    QFETCH(QString, slug);
    const HttpResult r = as(m_owner).post(api(QStringLiteral("/categories")),
                                          withName(name.left(Categories::kNameMax)));
    QCOMPARE(r.status, 201);
    QCOMPARE(r.json().value(QStringLiteral("slug")).toString(), slug);
}

void TestCategories::treeInParentOrderWithSlugs()
{
    const QString clothing = addCategory(QStringLiteral("Clothing"));
    const QString shoes = addCategory(QStringLiteral("Shoes"), clothing);
    const HttpResult shirts = as(m_owner).post(api(QStringLiteral("/categories")),
                                               withName(QStringLiteral("Shirts"), clothing));
    QCOMPARE(shirts.status, 201);
    const QString shirtsId = shirts.json().value(QStringLiteral("id")).toString();
    QCOMPARE(shirts.header("location"), QByteArray("/api/v1/categories/") + shirtsId.toUtf8());
    QCOMPARE(shirts.json().value(QStringLiteral("parentId")).toString(), clothing);
    QCOMPARE(shirts.json().value(QStringLiteral("productCount")).toInteger(), 0);
    QCOMPARE(shirts.json().value(QStringLiteral("slug")).toString(), QStringLiteral("shirts"));
    const HttpResult got = m_server->client().get(api(QStringLiteral("/categories/")) + shirtsId);
    QCOMPARE(got.status, 200);
    QCOMPARE(got.json(), shirts.json());
    // The same name elsewhere in the tree: the next free suffix.
    const QString polos = addCategory(QStringLiteral("Polos"), shirtsId);
    const QString polos2 = addCategory(QStringLiteral("Polos"), shoes);
    const QString polos3 = addCategory(QStringLiteral("POLOS!"));
    const HttpResult all = m_server->client().get(api(QStringLiteral("/categories")));
    QCOMPARE(all.status, 200);
    const QJsonArray items = all.json().value(QStringLiteral("items")).toArray();
    QCOMPARE(items.size(), 6);
    QHash<QString, QString> slugOf;
    QHash<QString, qsizetype> position;
    for (qsizetype i = 0; i < items.size(); ++i) {
        const QJsonObject c = items.at(i).toObject();
        slugOf.insert(c.value(QStringLiteral("id")).toString(),
                      c.value(QStringLiteral("slug")).toString());
        position.insert(c.value(QStringLiteral("id")).toString(), i);
        QVERIFY(c.contains(QStringLiteral("parentId")));
        const QJsonValue parent = c.value(QStringLiteral("parentId"));
        if (!parent.isNull())
            QVERIFY2(position.contains(parent.toString()), "a child listed before its parent");
    }
    QCOMPARE(slugOf.value(polos), QStringLiteral("polos"));
    QCOMPARE(slugOf.value(polos2), QStringLiteral("polos-2"));
    QCOMPARE(slugOf.value(polos3), QStringLiteral("polos-3"));
    // A rename makes the slug again; the freed slug is taken by the next one that asks.
    const HttpResult renamed = as(m_owner).patch(api(QStringLiteral("/categories/")) + polos,
                                                 withName(QStringLiteral("Short Sleeves")));
    QCOMPARE(renamed.status, 200);
    QCOMPARE(renamed.json().value(QStringLiteral("slug")).toString(),
             QStringLiteral("short-sleeves"));
    QCOMPARE(renamed.json().value(QStringLiteral("name")).toString(),
             QStringLiteral("Short Sleeves"));
    QCOMPARE(renamed.json().value(QStringLiteral("parentId")).toString(), shirtsId);
    const HttpResult again = as(m_owner).patch(api(QStringLiteral("/categories/")) + polos3,
                                               withName(QStringLiteral("Polos")));
    QCOMPARE(again.json().value(QStringLiteral("slug")).toString(), QStringLiteral("polos"));
    // The same name again is no rename: the slug stays.
    const HttpResult same = as(m_owner).patch(api(QStringLiteral("/categories/")) + polos2,
                                              withName(QStringLiteral("Polos")));
    QCOMPARE(same.json().value(QStringLiteral("slug")).toString(), QStringLiteral("polos-2"));
    // A move keeps the name and slug.
    const HttpResult moved = as(m_owner).patch(api(QStringLiteral("/categories/")) + polos3,
                                               {{QStringLiteral("parentId"), clothing}});
    QCOMPARE(moved.status, 200);
    QCOMPARE(moved.json().value(QStringLiteral("slug")).toString(), QStringLiteral("polos"));
    QCOMPARE(moved.json().value(QStringLiteral("parentId")).toString(), clothing);
    const HttpResult toRoot = as(m_owner).patch(api(QStringLiteral("/categories/")) + polos3,
                                                {{QStringLiteral("parentId"), QJsonValue()}});
    QCOMPARE(toRoot.status, 200);
    QVERIFY(toRoot.json().value(QStringLiteral("parentId")).isNull());
    QCOMPARE(as(m_owner)
                     .patch(api(QStringLiteral("/categories/nope")), withName(QStringLiteral("X")))
                     .status,
             404);
    QCOMPARE(m_server->client().get(api(QStringLiteral("/categories/nope"))).status, 404);
}

void TestCategories::depthLimitNamesParentId()
{
    QStringList chain{addCategory(QStringLiteral("L1"))};
    for (int level = 2; level <= Categories::kMaxDepth; ++level)
        chain.append(addCategory(QStringLiteral("L%1").arg(level), chain.last()));
    QCOMPARE(chain.size(), 5);
    QVERIFY(!chain.contains(QString()));
    const HttpResult sixth = as(m_owner).post(api(QStringLiteral("/categories")),
                                              withName(QStringLiteral("L6"), chain.last()));
    QCOMPARE(sixth.status, 422);
    QVERIFY(sixth.isProblem());
    QVERIFY2(namesField(sixth, QStringLiteral("parentId")), sixth.body.constData());
    QCOMPARE(counts().size(), 5);
    // A subtree of two levels under level 4 would reach level 6; under level 3 it fits.
    const QString top = addCategory(QStringLiteral("Top"));
    addCategory(QStringLiteral("Below"), top);
    const HttpResult deep = as(m_owner).patch(api(QStringLiteral("/categories/")) + top,
                                              {{QStringLiteral("parentId"), chain.at(3)}});
    QCOMPARE(deep.status, 422);
    QVERIFY(namesField(deep, QStringLiteral("parentId")));
    const HttpResult fits = as(m_owner).patch(api(QStringLiteral("/categories/")) + top,
                                              {{QStringLiteral("parentId"), chain.at(2)}});
    QCOMPARE(fits.status, 200);
    // Its child went along: now on level 5, it takes no child.
    const QJsonArray items = m_server->client()
                                     .get(api(QStringLiteral("/categories")))
                                     .json()
                                     .value(QStringLiteral("items"))
                                     .toArray();
    QString below;
    for (const QJsonValue &v : items) {
        if (v.toObject().value(QStringLiteral("name")).toString() == QLatin1String("Below"))
            below = v.toObject().value(QStringLiteral("id")).toString();
    }
    QCOMPARE(as(m_owner)
                     .post(api(QStringLiteral("/categories")), withName(QStringLiteral("X"), below))
                     .status,
             422);
}

void TestCategories::movesUnderItselfOrADescendantConflict()
{
    const QString root = addCategory(QStringLiteral("Root"));
    const QString child = addCategory(QStringLiteral("Child"), root);
    const QString grandchild = addCategory(QStringLiteral("Grandchild"), child);
    const QByteArray before = m_server->client().get(api(QStringLiteral("/categories"))).body;
    for (const auto &[moving, under] :
         {std::pair{root, root}, std::pair{root, child}, std::pair{root, grandchild},
          std::pair{child, grandchild}, std::pair{child, child}}) {
        const HttpResult r = as(m_owner).patch(api(QStringLiteral("/categories/")) + moving,
                                               {{QStringLiteral("parentId"), under}});
        QCOMPARE(r.status, 409);
        QVERIFY(r.isProblem());
    }
    QCOMPARE(m_server->client().get(api(QStringLiteral("/categories"))).body, before);
    // Unknown parent: 422 naming it.
    const HttpResult unknown
            = as(m_owner).patch(api(QStringLiteral("/categories/")) + child,
                                {{QStringLiteral("parentId"), QStringLiteral("x")}});
    QCOMPARE(unknown.status, 422);
    QVERIFY(namesField(unknown, QStringLiteral("parentId")));
    // Moving the grandchild up is fine.
    QCOMPARE(as(m_owner)
                     .patch(api(QStringLiteral("/categories/")) + grandchild,
                            {{QStringLiteral("parentId"), root}})
                     .status,
             200);
}

void TestCategories::deleteOnlyWhenEmpty()
{
    const Person seller = registerPerson(QStringLiteral("seller"));
    const QString root = addCategory(QStringLiteral("Root"));
    const QString child = addCategory(QStringLiteral("Child"), root);
    const QString full = addCategory(QStringLiteral("Full"));
    const QString product = addProduct(seller, full);
    QVERIFY(!product.isEmpty());
    QCOMPARE(as(m_owner).del(api(QStringLiteral("/categories/")) + root).status, 409);
    QCOMPARE(as(m_owner).del(api(QStringLiteral("/categories/")) + full).status, 409);
    // A suspended seller's product still holds its category (it comes back on reinstatement).
    QCOMPARE(as(m_owner)
                     .post(api(QStringLiteral("/owner/sellers/%1/suspend").arg(seller.id)))
                     .status,
             200);
    QCOMPARE(counts().value(full), 0);
    QCOMPARE(as(m_owner).del(api(QStringLiteral("/categories/")) + full).status, 409);
    QCOMPARE(as(m_owner)
                     .post(api(QStringLiteral("/owner/sellers/%1/reinstate").arg(seller.id)))
                     .status,
             200);
    QCOMPARE(counts().size(), 3);
    QCOMPARE(as(m_owner).del(api(QStringLiteral("/categories/")) + child).status, 204);
    QCOMPARE(as(m_owner).del(api(QStringLiteral("/categories/")) + root).status, 204);
    QCOMPARE(as(m_owner).del(api(QStringLiteral("/categories/")) + root).status, 404);
    // A deleted product does not hold it: it leaves the category, which goes.
    Person relogged = seller;
    const HttpResult login = m_server->client().post(
            api(QStringLiteral("/auth/login")),
            {{QStringLiteral("email"), seller.email}, {QStringLiteral("password"), kPassword}});
    QCOMPARE(login.status, 200);
    relogged.accessToken = login.json().value(QStringLiteral("accessToken")).toString();
    QCOMPARE(as(relogged).del(api(QStringLiteral("/products/")) + product).status, 204);
    QCOMPARE(as(m_owner).del(api(QStringLiteral("/categories/")) + full).status, 204);
    QVERIFY(counts().isEmpty());
    verifyStoredCounts();
}

void TestCategories::onlyTheOwnerShapesTheTree_data()
{
    QTest::addColumn<QString>("who");
    QTest::addColumn<int>("status");
    QTest::newRow("another-seller") << QStringLiteral("seller") << 403;
    QTest::newRow("pending-seller") << QStringLiteral("pending") << 403;
    QTest::newRow("customer") << QStringLiteral("customer") << 403;
    QTest::newRow("nobody") << QString() << 401;
}

void TestCategories::onlyTheOwnerShapesTheTree()
{
    QFETCH(QString, who);
    QFETCH(int, status);
    const QString id = addCategory(QStringLiteral("Owned"));
    Client c = m_server->client();
    if (!who.isEmpty()) {
        const bool pending = who == QLatin1String("pending");
        c = as(registerPerson(pending ? QStringLiteral("seller") : who, !pending));
    }
    const QByteArray before = m_server->client().get(api(QStringLiteral("/categories"))).body;
    for (const HttpResult &r :
         {c.post(api(QStringLiteral("/categories")), withName(QStringLiteral("Mine"))),
          c.patch(api(QStringLiteral("/categories/")) + id, withName(QStringLiteral("Mine"))),
          c.del(api(QStringLiteral("/categories/")) + id)}) {
        QCOMPARE(r.status, status);
        QVERIFY(r.isProblem());
    }
    QCOMPARE(m_server->client().get(api(QStringLiteral("/categories"))).body, before);
    QCOMPARE(c.get(api(QStringLiteral("/categories"))).status, 200); // reading is for anyone
}

void TestCategories::badInputNamesTheField_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("field");
    QTest::newRow("no-name") << QByteArray(R"({})") << QStringLiteral("name");
    QTest::newRow("empty-name") << QByteArray(R"({"name":"   "})") << QStringLiteral("name");
    QTest::newRow("long-name") << QByteArray(R"({"name":")" + QByteArray(101, 'x') + R"("})")
                               << QStringLiteral("name");
    QTest::newRow("number-name") << QByteArray(R"({"name":5})") << QStringLiteral("name");
    QTest::newRow("null-name") << QByteArray(R"({"name":null})") << QStringLiteral("name");
    QTest::newRow("number-parent")
            << QByteArray(R"({"name":"A","parentId":7})") << QStringLiteral("parentId");
    QTest::newRow("unknown-parent")
            << QByteArray(R"({"name":"A","parentId":"nope"})") << QStringLiteral("parentId");
    QTest::newRow("empty-parent") << QByteArray(R"({"name":"A","parentId":""})")
                                  << QStringLiteral("parentId");
}

void TestCategories::badInputNamesTheField()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, field);
    const QString id = addCategory(QStringLiteral("Existing"));
    const QByteArray before = m_server->client().get(api(QStringLiteral("/categories"))).body;
    const HttpResult created = as(m_owner).send("POST", api(QStringLiteral("/categories")), body,
                                                "application/json");
    QCOMPARE(created.status, 422);
    QVERIFY(created.isProblem());
    QVERIFY2(namesField(created, field), created.body.constData());
    if (field != QLatin1String("name") || body != "{}") { // PATCH needs no name
        const HttpResult patched = as(m_owner).send(
                "PATCH", api(QStringLiteral("/categories/")) + id, body, "application/json");
        QCOMPARE(patched.status, 422);
        QVERIFY2(namesField(patched, field), patched.body.constData());
    }
    QCOMPARE(m_server->client().get(api(QStringLiteral("/categories"))).body, before);
    QCOMPARE(as(m_owner)
                     .send("POST", api(QStringLiteral("/categories")), "{nope", "application/json")
                     .status,
             400);
}

// ---- products in categories ---------------------------------------------------------------

void TestCategories::productsCarryCategoryId()
{
    const Person seller = registerPerson(QStringLiteral("seller"));
    const QString shirts = addCategory(QStringLiteral("Shirts"));
    const QString shoes = addCategory(QStringLiteral("Shoes"));
    const HttpResult created = as(seller).post(api(QStringLiteral("/products")),
                                               {{QStringLiteral("name"), QStringLiteral("Polo")},
                                                {QStringLiteral("priceCents"), 2500},
                                                {QStringLiteral("stock"), 3},
                                                {QStringLiteral("categoryId"), shirts}});
    QCOMPARE(created.status, 201);
    const QString id = created.json().value(QStringLiteral("id")).toString();
    QCOMPARE(created.json().value(QStringLiteral("categoryId")).toString(), shirts);
    const HttpResult plain = as(seller).post(api(QStringLiteral("/products")),
                                             {{QStringLiteral("name"), QStringLiteral("Plain")},
                                              {QStringLiteral("priceCents"), 100}});
    QCOMPARE(plain.status, 201);
    QVERIFY(plain.json().contains(QStringLiteral("categoryId")));
    QVERIFY(plain.json().value(QStringLiteral("categoryId")).isNull());
    // Every product answer carries it: one, a list, a search.
    QCOMPARE(m_server->client()
                     .get(api(QStringLiteral("/products/")) + id)
                     .json()
                     .value(QStringLiteral("categoryId"))
                     .toString(),
             shirts);
    const QList<QJsonObject> listed = walk(QStringLiteral("q=polo"), 20);
    QCOMPARE(listed.size(), 1);
    QCOMPARE(listed.first().value(QStringLiteral("categoryId")).toString(), shirts);
    // Unknown or malformed: 422 naming it, nothing made or changed.
    for (const QJsonValue &bad : {QJsonValue(QStringLiteral("cat_does_not_exist")), QJsonValue(5),
                                  QJsonValue(QString()), QJsonValue(QJsonArray{shirts})}) {
        const HttpResult r = as(seller).post(api(QStringLiteral("/products")),
                                             {{QStringLiteral("name"), QStringLiteral("Lost")},
                                              {QStringLiteral("priceCents"), 100},
                                              {QStringLiteral("categoryId"), bad}});
        QCOMPARE(r.status, 422);
        QVERIFY2(namesField(r, QStringLiteral("categoryId")), r.body.constData());
        const HttpResult p
                = as(seller).patch(api(QStringLiteral("/products/")) + id,
                                   {{QStringLiteral("categoryId"), bad},
                                    {QStringLiteral("name"), QStringLiteral("Renamed")}});
        QCOMPARE(p.status, 422);
        QVERIFY(namesField(p, QStringLiteral("categoryId")));
    }
    QCOMPARE(walk(QStringLiteral("q=lost"), 20).size(), 0);
    const HttpResult still = m_server->client().get(api(QStringLiteral("/products/")) + id);
    QCOMPARE(still.json().value(QStringLiteral("name")).toString(), QStringLiteral("Polo"));
    QCOMPARE(still.json().value(QStringLiteral("categoryId")).toString(), shirts);
    // Moved, then taken out; the ETag follows.
    const QByteArray etag = still.header("etag");
    const HttpResult moved = as(seller).patch(api(QStringLiteral("/products/")) + id,
                                              {{QStringLiteral("categoryId"), shoes}});
    QCOMPARE(moved.status, 200);
    QCOMPARE(moved.json().value(QStringLiteral("categoryId")).toString(), shoes);
    QVERIFY(moved.header("etag") != etag);
    const HttpResult out = as(seller).patch(api(QStringLiteral("/products/")) + id,
                                            {{QStringLiteral("categoryId"), QJsonValue()}});
    QCOMPARE(out.status, 200);
    QVERIFY(out.json().value(QStringLiteral("categoryId")).isNull());
    QCOMPARE(counts().value(shoes), 0);
    verifyStoredCounts();
}

void TestCategories::productCountFollowsEveryChange()
{
    const Person s1 = registerPerson(QStringLiteral("seller"));
    const Person s2 = registerPerson(QStringLiteral("seller"));
    const QString r = addCategory(QStringLiteral("R"));
    const QString a = addCategory(QStringLiteral("A"), r);
    const QString a1 = addCategory(QStringLiteral("A1"), a);
    const QString b = addCategory(QStringLiteral("B"), r);
    using Counts = QHash<QString, qint64>;
    auto expect = [&](const Counts &want) {
        const Counts got = counts();
        for (auto it = want.cbegin(); it != want.cend(); ++it) {
            if (got.value(it.key()) != it.value())
                return false;
        }
        return true;
    };
    const QString p1 = addProduct(s1, a1);
    QVERIFY(expect({{r, 1}, {a, 1}, {a1, 1}, {b, 0}}));
    const QString p2 = addProduct(s1, a);
    const QString p3 = addProduct(s1, b);
    addProduct(s1, r);
    addProduct(s1, QJsonValue()); // in no category
    const QString q1 = addProduct(s2, a1);
    QVERIFY(expect({{r, 5}, {a, 3}, {a1, 2}, {b, 1}}));
    verifyStoredCounts();
    // Deletes.
    QCOMPARE(as(s1).del(api(QStringLiteral("/products/")) + p3).status, 204);
    QVERIFY(expect({{r, 4}, {a, 3}, {a1, 2}, {b, 0}}));
    // Moves between categories, and out of any.
    QCOMPARE(as(s1).patch(api(QStringLiteral("/products/")) + p1,
                          {{QStringLiteral("categoryId"), b}})
                     .status,
             200);
    QVERIFY(expect({{r, 4}, {a, 2}, {a1, 1}, {b, 1}}));
    QCOMPARE(as(s1).patch(api(QStringLiteral("/products/")) + p2,
                          {{QStringLiteral("categoryId"), QJsonValue()}})
                     .status,
             200);
    QVERIFY(expect({{r, 3}, {a, 1}, {a1, 1}, {b, 1}}));
    // A change that leaves the category alone changes no count.
    QCOMPARE(as(s1).patch(api(QStringLiteral("/products/")) + p1,
                          {{QStringLiteral("categoryId"), b}, {QStringLiteral("priceCents"), 77}})
                     .status,
             200);
    QVERIFY(expect({{r, 3}, {a, 1}, {a1, 1}, {b, 1}}));
    // A subtree moves with its products: A (with A1) under B.
    QCOMPARE(as(m_owner)
                     .patch(api(QStringLiteral("/categories/")) + a,
                            {{QStringLiteral("parentId"), b}})
                     .status,
             200);
    QVERIFY(expect({{r, 3}, {b, 2}, {a, 1}, {a1, 1}}));
    // Suspension takes s2's products out of every count, reinstatement puts them back.
    QCOMPARE(as(m_owner).post(api(QStringLiteral("/owner/sellers/%1/suspend").arg(s2.id))).status,
             200);
    QVERIFY(expect({{r, 2}, {b, 1}, {a, 0}, {a1, 0}}));
    verifyStoredCounts();
    QCOMPARE(as(m_owner).post(api(QStringLiteral("/owner/sellers/%1/reinstate").arg(s2.id))).status,
             200);
    QVERIFY(expect({{r, 3}, {b, 2}, {a, 1}, {a1, 1}}));
    verifyStoredCounts();
    QVERIFY(!q1.isEmpty());
}

// Sellers create, move and delete products between categories while the owner moves the
// subtree that holds them back and forth: no request fails, and every count is exact after.
void TestCategories::concurrentChangesKeepCountsExact()
{
    const Person s1 = registerPerson(QStringLiteral("seller"));
    const Person s2 = registerPerson(QStringLiteral("seller"));
    const QString r = addCategory(QStringLiteral("R"));
    const QString a = addCategory(QStringLiteral("A"), r);
    const QString a1 = addCategory(QStringLiteral("A1"), a);
    const QString b = addCategory(QStringLiteral("B"));
    const QStringList cats{r, a, a1, b};
    std::atomic<int> failures{0};
    auto seller = [&](const Person &who, QHash<QString, QString> *placeOf) {
        Client c = as(who);
        for (int i = 0; i < 30; ++i) {
            HttpResult res;
            if (i % 3 == 2) {
                const QString id = placeOf->keys().at(i % placeOf->size());
                if (i % 6 == 5) {
                    res = c.del(api(QStringLiteral("/products/")) + id);
                    placeOf->remove(id);
                } else {
                    const QString to = cats.at((i / 3) % cats.size());
                    res = c.patch(api(QStringLiteral("/products/")) + id,
                                  {{QStringLiteral("categoryId"), to}});
                    placeOf->insert(id, to);
                }
            } else {
                const QString cat = cats.at(i % cats.size());
                res = c.post(api(QStringLiteral("/products")),
                             {{QStringLiteral("name"), QStringLiteral("C %1").arg(i)},
                              {QStringLiteral("priceCents"), 100},
                              {QStringLiteral("categoryId"), cat}});
                placeOf->insert(res.json().value(QStringLiteral("id")).toString(), cat);
            }
            if (res.status / 100 != 2) {
                qWarning() << res.status << res.body;
                ++failures;
            }
        }
    };
    QHash<QString, QString> one, two;
    std::thread t1(seller, s1, &one);
    std::thread t2(seller, s2, &two);
    Client owner = as(m_owner);
    for (int i = 0; i < 20; ++i) {
        const HttpResult res = owner.patch(api(QStringLiteral("/categories/")) + a,
                                           {{QStringLiteral("parentId"), i % 2 ? r : b}});
        if (res.status != 200) {
            qWarning() << res.status << res.body;
            ++failures;
        }
    }
    t1.join();
    t2.join();
    QCOMPARE(failures.load(), 0);
    verifyStoredCounts();
    QHash<QString, qint64> direct;
    for (const auto *placeOf : {&one, &two}) {
        for (auto it = placeOf->cbegin(); it != placeOf->cend(); ++it)
            ++direct[it.value()];
    }
    // A ended under R (the last move, i = 19).
    const QHash<QString, qint64> got = counts();
    QCOMPARE(got.value(a1), direct.value(a1));
    QCOMPARE(got.value(a), direct.value(a) + direct.value(a1));
    QCOMPARE(got.value(r), direct.value(r) + direct.value(a) + direct.value(a1));
    QCOMPARE(got.value(b), direct.value(b));
    QCOMPARE(got.value(r) + got.value(b), qint64(one.size() + two.size()));
}

void TestCategories::filterIncludesDescendants()
{
    const Person seller = registerPerson(QStringLiteral("seller"));
    const QString clothing = addCategory(QStringLiteral("Clothing"));
    const QString shirts = addCategory(QStringLiteral("Shirts"), clothing);
    const QString polos = addCategory(QStringLiteral("Polos"), shirts);
    const QString shoes = addCategory(QStringLiteral("Shoes"));
    const QString p1 = addProduct(seller, polos);
    const QString p2 = addProduct(seller, shirts);
    const QString p3 = addProduct(seller, clothing);
    const QString p4 = addProduct(seller, shoes);
    addProduct(seller, QJsonValue());
    auto listed = [&](const QString &category) {
        QSet<QString> out;
        for (const QJsonObject &p : walk(QStringLiteral("categoryId=") + category, 2))
            out.insert(p.value(QStringLiteral("id")).toString());
        return out;
    };
    QCOMPARE(listed(clothing), (QSet<QString>{p1, p2, p3}));
    QCOMPARE(listed(shirts), (QSet<QString>{p1, p2}));
    QCOMPARE(listed(polos), (QSet<QString>{p1}));
    QCOMPARE(listed(shoes), (QSet<QString>{p4}));
    // An unknown category matches nothing (as an unknown sellerId does); junk is 400.
    const HttpResult unknown
            = m_server->client().get(api(QStringLiteral("/products?categoryId=unknown")));
    QCOMPARE(unknown.status, 200);
    QVERIFY(unknown.json().value(QStringLiteral("items")).toArray().isEmpty());
    const HttpResult junk = m_server->client().get(api(QStringLiteral("/products?categoryId="))
                                                   + QString(200, QLatin1Char('x')));
    QCOMPARE(junk.status, 400);
    QVERIFY(junk.body.contains("categoryId"));
}

void TestCategories::filterWithPagingSortsAndSearch()
{
    const Person seller = registerPerson(QStringLiteral("seller"));
    const QString root = addCategory(QStringLiteral("Root"));
    const QString child = addCategory(QStringLiteral("Child"), root);
    const QString other = addCategory(QStringLiteral("Other"));
    QSet<QString> inside;
    for (int i = 0; i < 7; ++i) {
        const QString name = i % 2 ? QStringLiteral("Striped shirt %1").arg(i)
                                   : QStringLiteral("Plain tee %1").arg(i);
        inside.insert(addProduct(seller, i % 3 ? child : root, 100 * (7 - i), name));
    }
    for (int i = 0; i < 4; ++i)
        addProduct(seller, other, 50 + i, QStringLiteral("Striped sock %1").arg(i));
    // Sorted by price, two at a time: every product of the subtree once, in order.
    const QList<QJsonObject> byPrice
            = walk(QStringLiteral("categoryId=%1&sort=price").arg(root), 2);
    QCOMPARE(byPrice.size(), 7);
    QSet<QString> seen;
    qint64 last = 0;
    for (const QJsonObject &p : byPrice) {
        QVERIFY(p.value(QStringLiteral("priceCents")).toInteger() >= last);
        last = p.value(QStringLiteral("priceCents")).toInteger();
        seen.insert(p.value(QStringLiteral("id")).toString());
    }
    QCOMPARE(seen, inside);
    QCOMPARE(walk(QStringLiteral("categoryId=%1&sort=-price").arg(root), 3).size(), 7);
    QCOMPARE(walk(QStringLiteral("categoryId=%1&sort=newest").arg(root), 4).size(), 7);
    // Search within the subtree: only its striped products (3), not the socks.
    const QList<QJsonObject> striped = walk(QStringLiteral("categoryId=%1&q=striped").arg(root), 2);
    QCOMPARE(striped.size(), 3);
    for (const QJsonObject &p : striped)
        QVERIFY(inside.contains(p.value(QStringLiteral("id")).toString()));
    QCOMPARE(walk(QStringLiteral("categoryId=%1&maxPriceCents=300").arg(root), 2).size(), 3);
    // A cursor belongs to its category.
    const HttpResult first = m_server->client().get(
            api(QStringLiteral("/products?categoryId=%1&limit=2")).arg(root));
    const QString cursor = first.json().value(QStringLiteral("nextCursor")).toString();
    QVERIFY(!cursor.isEmpty());
    const HttpResult foreign = m_server->client().get(
            api(QStringLiteral("/products?categoryId=%1&limit=2&cursor=%2"))
                    .arg(other, QString::fromLatin1(QUrl::toPercentEncoding(cursor))));
    QCOMPARE(foreign.status, 400);
}

void TestCategories::filterFollowsChangesThroughTheCache()
{
    const Person seller = registerPerson(QStringLiteral("seller"));
    const QString root = addCategory(QStringLiteral("Root"));
    const QString child = addCategory(QStringLiteral("Child"));
    const QString p = addProduct(seller, child);
    const QString rootList = api(QStringLiteral("/products?categoryId=")) + root;
    const QString childList = api(QStringLiteral("/products?categoryId=")) + child;
    auto listedIds = [&](const QString &url) {
        return ids(m_server->client().get(url).json().value(QStringLiteral("items")).toArray());
    };
    for (int i = 0; i < 3; ++i) { // asked again and again: answered from the cache
        QCOMPARE(listedIds(rootList), QStringList());
        QCOMPARE(listedIds(childList), QStringList{p});
    }
    // The tree changes: Child goes under Root, and Root's page follows at once.
    QCOMPARE(as(m_owner)
                     .patch(api(QStringLiteral("/categories/")) + child,
                            {{QStringLiteral("parentId"), root}})
                     .status,
             200);
    QCOMPARE(listedIds(rootList), QStringList{p});
    // The product moves out: both pages follow.
    QCOMPARE(as(seller)
                     .patch(api(QStringLiteral("/products/")) + p,
                            {{QStringLiteral("categoryId"), QJsonValue()}})
                     .status,
             200);
    QCOMPARE(listedIds(rootList), QStringList());
    QCOMPARE(listedIds(childList), QStringList());
    QCOMPARE(counts().value(root), 0);
}

// ---- seller suspension ----------------------------------------------------------------------

void TestCategories::suspendAndReinstateMoves()
{
    const Person pending = registerPerson(QStringLiteral("seller"), false);
    const Person active = registerPerson(QStringLiteral("seller"));
    const Person customer = registerPerson(QStringLiteral("customer"));
    Client owner = as(m_owner);
    auto move = [&](const Client &c, const QString &id, const char *what) {
        return c.post(api(QStringLiteral("/owner/sellers/%1/%2").arg(id, QLatin1String(what))));
    };
    auto statusOf = [&](const QString &id) {
        const QJsonArray all = owner.get(api(QStringLiteral("/owner/sellers?limit=100")))
                                       .json()
                                       .value(QStringLiteral("items"))
                                       .toArray();
        for (const QJsonValue &v : all) {
            if (v.toObject().value(QStringLiteral("id")).toString() == id)
                return v.toObject().value(QStringLiteral("status")).toString();
        }
        return QString();
    };
    // Only the owner.
    QCOMPARE(move(as(active), pending.id, "suspend").status, 403);
    QCOMPARE(move(as(customer), pending.id, "suspend").status, 403);
    QCOMPARE(move(m_server->client(), pending.id, "suspend").status, 401);
    QCOMPARE(move(as(active), pending.id, "reinstate").status, 403);
    QCOMPARE(statusOf(pending.id), QStringLiteral("pending"));
    // pending → suspended; listed under ?status=suspended only.
    const HttpResult suspended = move(owner, pending.id, "suspend");
    QCOMPARE(suspended.status, 200);
    QCOMPARE(suspended.json().value(QStringLiteral("status")).toString(),
             QStringLiteral("suspended"));
    QCOMPARE(suspended.json().value(QStringLiteral("id")).toString(), pending.id);
    auto listed = [&](const QString &status) {
        return ids(owner.get(api(QStringLiteral("/owner/sellers?status=")) + status)
                           .json()
                           .value(QStringLiteral("items"))
                           .toArray());
    };
    QCOMPARE(listed(QStringLiteral("suspended")), QStringList{pending.id});
    QVERIFY(!listed(QStringLiteral("pending")).contains(pending.id));
    // Any other move: 409, nothing changes.
    QCOMPARE(move(owner, pending.id, "suspend").status, 409);
    QCOMPARE(move(owner, pending.id, "approve").status, 409);
    QCOMPARE(move(owner, active.id, "reinstate").status, 409);
    QCOMPARE(statusOf(pending.id), QStringLiteral("suspended"));
    QCOMPARE(statusOf(active.id), QStringLiteral("active"));
    // The owner cannot suspend itself.
    const HttpResult self = move(owner, m_owner.id, "suspend");
    QCOMPARE(self.status, 409);
    QVERIFY(self.isProblem());
    QCOMPARE(statusOf(m_owner.id), QStringLiteral("active"));
    // Unknown ids and customers are no sellers.
    QCOMPARE(move(owner, QStringLiteral("nope"), "suspend").status, 404);
    QCOMPARE(move(owner, customer.id, "suspend").status, 404);
    QCOMPARE(move(owner, customer.id, "reinstate").status, 404);
    // suspended → active (a pending one too); active → suspended → active.
    const HttpResult back = move(owner, pending.id, "reinstate");
    QCOMPARE(back.status, 200);
    QCOMPARE(back.json().value(QStringLiteral("status")).toString(), QStringLiteral("active"));
    QCOMPARE(move(owner, pending.id, "reinstate").status, 409);
    QCOMPARE(move(owner, active.id, "suspend").json().value(QStringLiteral("status")).toString(),
             QStringLiteral("suspended"));
    QCOMPARE(listed(QStringLiteral("suspended")), QStringList{active.id});
    QCOMPARE(move(owner, active.id, "reinstate").status, 200);
    QVERIFY(listed(QStringLiteral("suspended")).isEmpty());
    QCOMPARE(statusOf(active.id), QStringLiteral("active"));
}

void TestCategories::suspendedSellersProductsLeaveTheCatalog()
{
    const Person seller = registerPerson(QStringLiteral("seller"));
    const Person other = registerPerson(QStringLiteral("seller"));
    const Person customer = registerPerson(QStringLiteral("customer"));
    const QString category = addCategory(QStringLiteral("Kitchen"));
    const QString kept = addProduct(seller, category, 1200, QStringLiteral("Zanzibar kettle"));
    const QString bought = addProduct(seller, category, 900, QStringLiteral("Zanzibar pot"));
    const QString others = addProduct(other, category, 800, QStringLiteral("Zanzibar pan"));
    Client shopper = as(customer);
    // An order with the seller's product, and a cart holding another of its products.
    QCOMPARE(shopper.put(api(QStringLiteral("/cart/items/")) + bought,
                         {{QStringLiteral("quantity"), 1}})
                     .status,
             200);
    const HttpResult order = shopper.post(api(QStringLiteral("/orders")));
    QCOMPARE(order.status, 201);
    const QString orderId = order.json().value(QStringLiteral("id")).toString();
    QCOMPARE(shopper.put(api(QStringLiteral("/cart/items/")) + kept,
                         {{QStringLiteral("quantity"), 1}})
                     .status,
             200);
    // The first page, a search and the seller's list, answered (and kept) before.
    const QString firstPage = api(QStringLiteral("/products"));
    const QString search = api(QStringLiteral("/products?q=zanzibar"));
    const QString bySeller = api(QStringLiteral("/products?sellerId=")) + seller.id;
    const QString inCategory = api(QStringLiteral("/products?categoryId=")) + category;
    auto listed = [&](const QString &url) {
        const QStringList found
                = ids(m_server->client().get(url).json().value(QStringLiteral("items")).toArray());
        return QSet<QString>(found.cbegin(), found.cend());
    };
    for (const QString &url : {firstPage, search, bySeller, inCategory})
        QVERIFY(listed(url).contains(kept));
    QCOMPARE(counts().value(category), 3);

    QCOMPARE(as(m_owner)
                     .post(api(QStringLiteral("/owner/sellers/%1/suspend").arg(seller.id)))
                     .status,
             200);
    QCOMPARE(m_server->client().get(api(QStringLiteral("/products/")) + kept).status, 404);
    for (const QString &url : {firstPage, search, bySeller, inCategory}) {
        const QSet<QString> now = listed(url);
        QVERIFY2(!now.contains(kept) && !now.contains(bought), qPrintable(url));
    }
    QCOMPARE(listed(search), QSet<QString>{others});
    QCOMPARE(counts().value(category), 1);
    // Not into a cart; the line already there is unavailable and cannot be ordered.
    QCOMPARE(shopper.put(api(QStringLiteral("/cart/items/")) + bought,
                         {{QStringLiteral("quantity"), 1}})
                     .status,
             404);
    const QJsonArray lines = shopper.get(api(QStringLiteral("/cart")))
                                     .json()
                                     .value(QStringLiteral("items"))
                                     .toArray();
    QCOMPARE(lines.size(), 1);
    QCOMPARE(lines.at(0).toObject().value(QStringLiteral("available")).toBool(), false);
    const HttpResult refused = shopper.post(api(QStringLiteral("/orders")));
    QCOMPARE(refused.status, 409);
    QVERIFY2(refused.body.contains("no longer sold"), refused.body.constData());
    // Nothing is deleted: the order keeps its line.
    const HttpResult keptOrder = shopper.get(api(QStringLiteral("/orders/")) + orderId);
    QCOMPARE(keptOrder.status, 200);
    QCOMPARE(keptOrder.json()
                     .value(QStringLiteral("items"))
                     .toArray()
                     .at(0)
                     .toObject()
                     .value(QStringLiteral("productId"))
                     .toString(),
             bought);

    QCOMPARE(as(m_owner)
                     .post(api(QStringLiteral("/owner/sellers/%1/reinstate").arg(seller.id)))
                     .status,
             200);
    QCOMPARE(m_server->client().get(api(QStringLiteral("/products/")) + kept).status, 200);
    for (const QString &url : {firstPage, search, bySeller, inCategory})
        QVERIFY(listed(url).contains(kept));
    QCOMPARE(counts().value(category), 3);
    QCOMPARE(shopper.post(api(QStringLiteral("/orders"))).status, 201);
    verifyStoredCounts();
}

void TestCategories::suspensionEndsSessions()
{
    const Person seller = registerPerson(QStringLiteral("seller"));
    Client client = m_server->client();
    auto login = [&](const QString &password) {
        return client.post(
                api(QStringLiteral("/auth/login")),
                {{QStringLiteral("email"), seller.email}, {QStringLiteral("password"), password}});
    };
    const HttpResult before = login(kPassword);
    QCOMPARE(before.status, 200);
    Person old = seller;
    old.accessToken = before.json().value(QStringLiteral("accessToken")).toString();
    old.refreshToken = before.json().value(QStringLiteral("refreshToken")).toString();
    QCOMPARE(as(old).get(api(QStringLiteral("/me"))).status, 200);

    QCOMPARE(as(m_owner)
                     .post(api(QStringLiteral("/owner/sellers/%1/suspend").arg(seller.id)))
                     .status,
             200);
    QCOMPARE(as(old).get(api(QStringLiteral("/me"))).status, 401);
    QCOMPARE(as(old).get(api(QStringLiteral("/seller/inventory"))).status, 401);
    const HttpResult refused = login(kPassword);
    QCOMPARE(refused.status, 403);
    QVERIFY(refused.isProblem());
    QVERIFY(refused.json().value(QStringLiteral("accessToken")).isUndefined());
    QCOMPARE(login(QStringLiteral("wrong-password-1")).status, 401); // nothing told
    QCOMPARE(client.post(api(QStringLiteral("/auth/refresh")),
                         {{QStringLiteral("refreshToken"), old.refreshToken}})
                     .status,
             403);
    QCOMPARE(client.post(api(QStringLiteral("/auth/refresh")),
                         {{QStringLiteral("refreshToken"), seller.refreshToken}})
                     .status,
             403);

    QCOMPARE(as(m_owner)
                     .post(api(QStringLiteral("/owner/sellers/%1/reinstate").arg(seller.id)))
                     .status,
             200);
    // Reinstated, the old sessions stay over: it signs in again.
    QCOMPARE(as(old).get(api(QStringLiteral("/me"))).status, 401);
    QCOMPARE(client.post(api(QStringLiteral("/auth/refresh")),
                         {{QStringLiteral("refreshToken"), old.refreshToken}})
                     .status,
             401);
    const HttpResult after = login(kPassword);
    QCOMPARE(after.status, 200);
    Person fresh = seller;
    fresh.accessToken = after.json().value(QStringLiteral("accessToken")).toString();
    QCOMPARE(as(fresh).get(api(QStringLiteral("/me"))).status, 200);
    QVERIFY(!addProduct(fresh, QJsonValue()).isEmpty());
    const HttpResult refreshed
            = client.post(api(QStringLiteral("/auth/refresh")),
                          {{QStringLiteral("refreshToken"),
                            after.json().value(QStringLiteral("refreshToken")).toString()}});
    QCOMPARE(refreshed.status, 200);
}

// Two mercato-server processes on one database: sellers create, move and delete categorised
// products on both while the owner suspends and reinstates one of them on the other. The counts
// both answer equal the products' final places, and `mercato-server check` agrees, then names
// a count that was tampered with.
void TestCategories::countsExactAcrossProcessesAndChecked()
{
    m_server.reset(); // this test runs its own servers
    QTemporaryDir dir;
    const QString url = freshDatabaseUrl(dir.path());
    QProcessEnvironment env;
    env.insert(QStringLiteral("MERCATO_DATABASE"), url);
    ServerProcess a(env);
    ServerProcess b(env);
    QVERIFY2(a.start(), qPrintable(a.log()));
    QVERIFY2(b.start(), qPrintable(b.log()));
    auto registerOn = [&](quint16 port, const QString &email) {
        Client c(port);
        const HttpResult r
                = c.post(api(QStringLiteral("/auth/register")),
                         {{QStringLiteral("email"), email},
                          {QStringLiteral("password"), kPassword},
                          {QStringLiteral("displayName"), email.section(QLatin1Char('@'), 0, 0)},
                          {QStringLiteral("role"), QStringLiteral("seller")}});
        if (r.status != 201)
            qWarning() << "register" << r.status << r.body;
        return Person{r.json().value(QStringLiteral("user"))
                              .toObject()
                              .value(QStringLiteral("id"))
                              .toString(),
                      email, r.json().value(QStringLiteral("accessToken")).toString(),
                      r.json().value(QStringLiteral("refreshToken")).toString()};
    };
    const Person owner = registerOn(a.port(), QStringLiteral("owner@two.test")); // the first seller
    const Person steady = registerOn(a.port(), QStringLiteral("steady@two.test"));
    const Person flaky = registerOn(b.port(), QStringLiteral("flaky@two.test"));
    QVERIFY(!owner.id.isEmpty() && !steady.id.isEmpty() && !flaky.id.isEmpty());
    Client ownerA(a.port());
    ownerA.setToken(owner.accessToken);
    QStringList cats;
    for (int i = 0; i < 4; ++i) {
        const HttpResult r = ownerA.post(
                api(QStringLiteral("/categories")),
                withName(QStringLiteral("Cat %1").arg(i),
                         i == 0 ? QJsonValue(QJsonValue::Null) : QJsonValue(cats.at((i - 1) / 2))));
        QCOMPARE(r.status, 201);
        cats.append(r.json().value(QStringLiteral("id")).toString());
    }

    // Each worker: creates, moves and deletes on its own process; where each of its live
    // products ends up is recorded. A refused request (the seller suspended) changed nothing.
    struct Outcome
    {
        QHash<QString, QString> placeOf; // live product → its category
        int refused = 0;
    };
    std::atomic<bool> suspensionsDone{false};
    auto worker = [&](quint16 port, Person who, Outcome *out) {
        Client c(port);
        c.setToken(who.accessToken);
        auto signInAgain = [&] {
            const HttpResult r = c.post(api(QStringLiteral("/auth/login")),
                                        {{QStringLiteral("email"), who.email},
                                         {QStringLiteral("password"), kPassword}});
            if (r.status == 200)
                c.setToken(r.json().value(QStringLiteral("accessToken")).toString());
        };
        for (int i = 0; i < 36; ++i) {
            const QString cat = cats.at(i % cats.size());
            HttpResult r;
            if (i % 4 == 3 && !out->placeOf.isEmpty()) {
                const QString id = out->placeOf.keys().at(i % out->placeOf.size());
                if (i % 8 == 7) {
                    r = c.del(api(QStringLiteral("/products/")) + id);
                    if (r.status == 204)
                        out->placeOf.remove(id);
                } else {
                    const QString to = cats.at((i / 4) % cats.size());
                    r = c.patch(api(QStringLiteral("/products/")) + id,
                                {{QStringLiteral("categoryId"), to}});
                    if (r.status == 200)
                        out->placeOf.insert(id, to);
                }
            } else {
                r = c.post(api(QStringLiteral("/products")),
                           {{QStringLiteral("name"), QStringLiteral("P %1").arg(i)},
                            {QStringLiteral("priceCents"), 100 + i},
                            {QStringLiteral("categoryId"), cat}});
                if (r.status == 201)
                    out->placeOf.insert(r.json().value(QStringLiteral("id")).toString(), cat);
            }
            if (r.status == 401 || r.status == 403) {
                ++out->refused;
                signInAgain();
            } else if (r.status / 100 != 2) {
                qWarning() << "unexpected" << r.status << r.body;
            }
        }
        while (!suspensionsDone.load())
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    };
    Outcome steadyOut, flakyOut;
    std::thread t1(worker, a.port(), steady, &steadyOut);
    std::thread t2(worker, b.port(), flaky, &flakyOut);
    Client ownerB(b.port());
    ownerB.setToken(owner.accessToken);
    int moves = 0;
    for (int round = 0; round < 6; ++round) {
        moves += ownerB.post(api(QStringLiteral("/owner/sellers/%1/suspend").arg(flaky.id))).status
                 == 200;
        moves += ownerA.post(api(QStringLiteral("/owner/sellers/%1/reinstate").arg(flaky.id)))
                         .status
                 == 200;
    }
    suspensionsDone = true;
    t1.join();
    t2.join();
    QCOMPARE(moves, 12);
    QCOMPARE(steadyOut.refused, 0);

    // Expected: each category's live products with those of its descendants.
    QHash<QString, qint64> direct;
    for (const Outcome *o : {&steadyOut, &flakyOut}) {
        for (auto it = o->placeOf.cbegin(); it != o->placeOf.cend(); ++it)
            ++direct[it.value()];
    }
    QHash<QString, qint64> expected;
    // The tree: 0 is the root, 1 and 2 under 0, 3 under 1.
    expected[cats.at(3)] = direct.value(cats.at(3));
    expected[cats.at(2)] = direct.value(cats.at(2));
    expected[cats.at(1)] = direct.value(cats.at(1)) + expected.value(cats.at(3));
    expected[cats.at(0)]
            = direct.value(cats.at(0)) + expected.value(cats.at(1)) + expected.value(cats.at(2));
    for (quint16 port : {a.port(), b.port()}) {
        const QJsonArray items = Client(port)
                                         .get(api(QStringLiteral("/categories")))
                                         .json()
                                         .value(QStringLiteral("items"))
                                         .toArray();
        QCOMPARE(items.size(), 4);
        for (const QJsonValue &v : items) {
            const QString id = v.toObject().value(QStringLiteral("id")).toString();
            QCOMPARE(v.toObject().value(QStringLiteral("productCount")).toInteger(),
                     expected.value(id));
        }
    }
    QVERIFY(expected.value(cats.at(0)) > 20);

    auto runCheck = [&](QByteArray *out) {
        QProcess p;
        p.start(serverBinary(), {QStringLiteral("check"), QStringLiteral("--database"), url,
                                 QStringLiteral("--data-dir"), dir.path()});
        p.waitForFinished(60000);
        *out = p.readAllStandardOutput() + p.readAllStandardError();
        return p.exitCode();
    };
    QByteArray out;
    QCOMPARE(runCheck(&out), 0);
    QVERIFY2(out.contains("category counts: ok"), out.constData());
    MERCATO_VERIFY_CLEAN_EXIT(a);
    MERCATO_VERIFY_CLEAN_EXIT(b);
    {
        Database database(DatabaseUrl::parse(url).value());
        QVERIFY(database.open());
        QVERIFY(execSql(database.connection(),
                        QStringLiteral("UPDATE categories SET product_count = product_count + 2 "
                                       "WHERE id = ?"),
                        {cats.at(2)}));
        database.releaseThreadConnection();
    }
    QCOMPARE(runCheck(&out), 1);
    QVERIFY2(out.contains(cats.at(2).toUtf8()) && out.contains("category count mismatch"),
             out.constData());
}

QTEST_GUILESS_MAIN(TestCategories)
#include "tst_categories.moc"
