// Fills a database with a large catalogue for bench/catalog.sh: one seller and N products with
// names and descriptions made of common words (so full-text queries match a share of them),
// written through the model's bulk import (Catalog::importProducts: product rows, their
// `create` ledger rows, the full-text index kept by the engine) in big transactions.
//
//   bench-catalog-seed --database URL --products N [--batch 20000]
//
// Prints the seconds it took. Every product has "lantern" in its name one time in 40.

#include "model/catalog.h"
#include "model/shop.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>

using namespace Mercato;

namespace {

const char *const kAdjectives[]
        = {"small",   "large",  "classic", "modern", "rustic", "vintage", "bright", "quiet",
           "compact", "sturdy", "light",   "heavy",  "soft",   "smooth",  "golden", "silver",
           "green",   "blue",   "red",     "black",  "white",  "warm",    "cool",   "nordic",
           "urban",   "alpine", "coastal", "simple", "deluxe", "handmade"};
const char *const kMaterials[]
        = {"oak",   "walnut", "birch",  "steel",   "copper", "brass", "ceramic", "glass",
           "linen", "wool",   "cotton", "leather", "bamboo", "stone", "clay",    "cork"};
const char *const kNouns[]
        = {"lantern", "bowl",   "tray",    "lamp",   "mug",     "vase",    "basket", "clock",
           "mirror",  "stool",  "shelf",   "candle", "blanket", "pillow",  "rug",    "jar",
           "kettle",  "teapot", "spoon",   "board",  "bench",   "chair",   "table",  "frame",
           "hook",    "box",    "planter", "bottle", "cup",     "plate",   "pan",    "knife",
           "fork",    "ladle",  "whisk",   "apron",  "towel",   "coaster", "rack",   "bin"};
const char *const kFiller[]
        = {"made",  "for",  "every",  "day",     "use",    "with",   "care",  "easy",  "to",
           "clean", "gift", "home",   "kitchen", "garden", "office", "built", "last",  "years",
           "fits",  "most", "spaces", "finish",  "by",     "hand",   "in",    "small", "batches"};

template<typename T, size_t N>
QString pick(const T (&words)[N], QRandomGenerator &rng)
{
    return QString::fromLatin1(words[rng.bounded(quint32(N))]);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(QStringLiteral("mercato.*.info=false"));
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption databaseOpt(QStringLiteral("database"), QStringLiteral("database URL"),
                                         QStringLiteral("url"));
    const QCommandLineOption productsOpt(QStringLiteral("products"),
                                         QStringLiteral("number of products"), QStringLiteral("n"),
                                         QStringLiteral("10000"));
    const QCommandLineOption batchOpt(QStringLiteral("batch"),
                                      QStringLiteral("products per transaction"),
                                      QStringLiteral("n"), QStringLiteral("20000"));
    parser.addOptions({databaseOpt, productsOpt, batchOpt});
    parser.process(app);
    auto url = DatabaseUrl::parse(parser.value(databaseOpt));
    const qint64 count = parser.value(productsOpt).toLongLong();
    const qint64 batch = std::max<qint64>(1, parser.value(batchOpt).toLongLong());
    if (!url || count <= 0) {
        std::fprintf(stderr, "bench-catalog-seed: --database URL and --products N are needed\n");
        return 2;
    }
    QTemporaryDir dataDir;
    ShopOptions options;
    options.database = url.value();
    options.jwtKey = QByteArray(32, 'k');
    options.dataDir = dataDir.path();
    options.settings.passwordHashLogN = 10;
    Shop shop(options);
    if (auto s = shop.open(); !s) {
        std::fprintf(stderr, "bench-catalog-seed: %s\n", qPrintable(s.error().detail));
        return 1;
    }
    auto seller = shop.accounts().registerAccount(
            {QStringLiteral("catalog-seller@bench.test"), QStringLiteral("bench-seller-pass"),
             QStringLiteral("Bench seller"), QStringLiteral("seller")});
    if (!seller) {
        std::fprintf(stderr, "bench-catalog-seed: seller: %s\n", qPrintable(seller.error().detail));
        return 1;
    }

    QElapsedTimer timer;
    timer.start();
    QRandomGenerator rng(4);
    const qint64 start = QDateTime::currentMSecsSinceEpoch() - count * 10;
    for (qint64 done = 0; done < count;) {
        QList<ImportedProduct> items;
        const qint64 n = std::min(batch, count - done);
        items.reserve(n);
        for (qint64 i = 0; i < n; ++i) {
            const qint64 k = done + i;
            ImportedProduct item;
            const QString noun = k % 40 == 0 ? QStringLiteral("lantern") : pick(kNouns, rng);
            item.product.name = QStringLiteral("%1 %2 %3 %4")
                                        .arg(pick(kAdjectives, rng), pick(kMaterials, rng), noun)
                                        .arg(k);
            QStringList words;
            for (int w = 0; w < 12; ++w)
                words.append(pick(kFiller, rng));
            item.product.description = words.join(QLatin1Char(' '));
            item.product.priceCents = 100 + rng.bounded(100000);
            item.product.stock = 1 + rng.bounded(500);
            item.product.lowStockThreshold = 0;
            item.createdAt = start + k * 10;
            items.append(item);
        }
        auto ids = shop.catalog().importProducts(seller->user.id, items);
        if (!ids) {
            std::fprintf(stderr, "bench-catalog-seed: %s\n", qPrintable(ids.error().detail));
            return 1;
        }
        done += n;
        std::fprintf(stderr, "\r%lld products", static_cast<long long>(done));
    }
    std::fprintf(stderr, "\n");
    std::printf("seeded %lld products in %.1f s\n", static_cast<long long>(count),
                double(timer.elapsed()) / 1000.0);
    shop.database().releaseThreadConnection();
    return 0;
}
