// Checkout throughput: POST /orders from prepared carts (manual payment) against a running
// mercato-server, over keep-alive connections; prints orders/s, latency percentiles and the
// oversold units (must be 0). bench/checkout.sh starts the server and runs this.
//
//   bench-checkout --database URL --jwt-secret BASE64 --port PORT
//                  [--connections 64] [--customers 6000] [--products 20] [--stock 270]
//
// The customers, products and carts are made beforehand through the model on the same
// database (not timed); each customer's cart holds one unit of one product, and the products
// hold fewer units than there are customers, so some checkouts must be refused with 409.

#include "model/catalog.h"
#include "model/inventory.h"
#include "model/shop.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QLoggingCategory>
#include <QTemporaryDir>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace Mercato;

namespace {

// One keep-alive HTTP/1.1 connection to 127.0.0.1, blocking; reconnects when the server closes.
class Connection
{
public:
    explicit Connection(quint16 port)
        : m_port(port)
    {}
    ~Connection() { close(); }

    // The status of the answer (0: no answer).
    int post(const std::string &path, const std::string &token, const std::string &body)
    {
        const std::string request = "POST " + path
                                    + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                      "Authorization: Bearer "
                                    + token
                                    + "\r\nContent-Type: application/json\r\n"
                                      "Content-Length: "
                                    + std::to_string(body.size()) + "\r\n\r\n" + body;
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (m_fd < 0 && !open())
                return 0;
            if (sendAll(request)) {
                const int status = readAnswer();
                if (status > 0)
                    return status;
            }
            close(); // closed by the server between requests: once more on a new connection
        }
        return 0;
    }

private:
    bool open()
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (m_fd < 0)
            return false;
        int one = 1;
        ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(m_port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
            close();
            return false;
        }
        m_buffer.clear();
        return true;
    }
    void close()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }
    bool sendAll(const std::string &data)
    {
        size_t sent = 0;
        while (sent < data.size()) {
            const ssize_t n = ::send(m_fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
            if (n <= 0)
                return false;
            sent += size_t(n);
        }
        return true;
    }
    bool fill()
    {
        char chunk[16384];
        const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            return false;
        m_buffer.append(chunk, size_t(n));
        return true;
    }
    int readAnswer()
    {
        size_t end;
        while ((end = m_buffer.find("\r\n\r\n")) == std::string::npos) {
            if (!fill())
                return 0;
        }
        std::string head = m_buffer.substr(0, end);
        std::transform(head.begin(), head.end(), head.begin(),
                       [](unsigned char c) { return char(std::tolower(c)); });
        const int status = head.size() > 12 ? std::atoi(head.c_str() + 9) : 0;
        size_t length = 0;
        if (const size_t at = head.find("\r\ncontent-length:"); at != std::string::npos)
            length = size_t(std::strtoull(head.c_str() + at + 17, nullptr, 10));
        const bool closing = head.find("\r\nconnection: close") != std::string::npos;
        while (m_buffer.size() < end + 4 + length) {
            if (!fill())
                return 0;
        }
        m_buffer.erase(0, end + 4 + length);
        if (closing)
            close();
        return status;
    }

    quint16 m_port;
    int m_fd = -1;
    std::string m_buffer;
};

double percentile(std::vector<double> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    const size_t i = std::min(sorted.size() - 1, size_t(p * double(sorted.size() - 1) + 0.5));
    return sorted[i];
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
    const QCommandLineOption secretOpt(QStringLiteral("jwt-secret"),
                                       QStringLiteral("the server's MERCATO_JWT_SECRET"),
                                       QStringLiteral("base64"));
    const QCommandLineOption portOpt(QStringLiteral("port"), QStringLiteral("the server's port"),
                                     QStringLiteral("port"));
    const QCommandLineOption connectionsOpt(QStringLiteral("connections"),
                                            QStringLiteral("connections"), QStringLiteral("n"),
                                            QStringLiteral("64"));
    const QCommandLineOption customersOpt(QStringLiteral("customers"),
                                          QStringLiteral("customers with a cart"),
                                          QStringLiteral("n"), QStringLiteral("6000"));
    const QCommandLineOption productsOpt(QStringLiteral("products"), QStringLiteral("products"),
                                         QStringLiteral("n"), QStringLiteral("20"));
    const QCommandLineOption stockOpt(QStringLiteral("stock"),
                                      QStringLiteral("units of each product"), QStringLiteral("n"),
                                      QStringLiteral("270"));
    parser.addOptions(
            {databaseOpt, secretOpt, portOpt, connectionsOpt, customersOpt, productsOpt, stockOpt});
    parser.process(app);
    const int connections = std::max(1, parser.value(connectionsOpt).toInt());
    const int customerCount = std::max(1, parser.value(customersOpt).toInt());
    const int productCount = std::max(1, parser.value(productsOpt).toInt());
    const int stock = std::max(1, parser.value(stockOpt).toInt());
    const quint16 port = quint16(parser.value(portOpt).toUInt());
    auto url = DatabaseUrl::parse(parser.value(databaseOpt));
    if (!url || port == 0 || parser.value(secretOpt).isEmpty()) {
        std::fprintf(stderr, "bench-checkout: --database, --jwt-secret and --port are needed\n");
        return 2;
    }

    QTemporaryDir dataDir;
    ShopOptions options;
    options.database = url.value();
    options.jwtKey = QByteArray::fromBase64(parser.value(secretOpt).toLatin1());
    options.dataDir = dataDir.path();
    options.settings.passwordHashLogN = 10; // preparing thousands of accounts, not measuring scrypt
    Shop shop(options);
    if (auto s = shop.open(); !s) {
        std::fprintf(stderr, "bench-checkout: %s\n", qPrintable(s.error().detail));
        return 1;
    }

    // Preparation (not timed).
    const QString run = QString::number(QDateTime::currentMSecsSinceEpoch(), 36);
    auto seller = shop.accounts().registerAccount({QStringLiteral("seller-%1@bench.test").arg(run),
                                                   QStringLiteral("bench-seller-pass-%1").arg(run),
                                                   QStringLiteral("Bench seller"),
                                                   QStringLiteral("seller")});
    if (!seller) {
        std::fprintf(stderr, "bench-checkout: seller: %s\n", qPrintable(seller.error().detail));
        return 1;
    }
    QStringList products;
    for (int i = 0; i < productCount; ++i) {
        NewProduct p;
        p.name = QStringLiteral("Bench item %1").arg(i);
        p.priceCents = 100 + i;
        p.stock = stock;
        p.lowStockThreshold = 0;
        auto made = shop.catalog().create(seller->user.id, p);
        if (!made) {
            std::fprintf(stderr, "bench-checkout: product: %s\n", qPrintable(made.error().detail));
            return 1;
        }
        products.append(made->id);
    }
    std::vector<std::string> tokens;
    tokens.reserve(size_t(customerCount));
    for (int i = 0; i < customerCount; ++i) {
        auto c = shop.accounts().registerAccount(
                {QStringLiteral("c%1-%2@bench.test").arg(i).arg(run),
                 QStringLiteral("bench-customer-pass-%1").arg(run),
                 QStringLiteral("Customer %1").arg(i), QStringLiteral("customer")});
        if (!c) {
            std::fprintf(stderr, "bench-checkout: customer: %s\n", qPrintable(c.error().detail));
            return 1;
        }
        if (auto cart = shop.cart().setQuantity(c->user.id, products.at(i % productCount), 1);
            !cart) {
            std::fprintf(stderr, "bench-checkout: cart: %s\n", qPrintable(cart.error().detail));
            return 1;
        }
        tokens.push_back(shop.tokens()
                                 .issueAccess(c->user.id, QStringLiteral("customer"))
                                 .token.toStdString());
    }
    std::fprintf(stdout, "prepared %d customers with a cart, %d products x %d units\n",
                 customerCount, productCount, stock);

    // Measurement: every connection checks out its share of the customers, one after another.
    std::atomic<int> created{0};
    std::atomic<int> refused{0};
    std::atomic<int> other{0};
    std::vector<std::vector<double>> latencies(static_cast<size_t>(connections));
    std::vector<std::thread> threads;
    const auto started = std::chrono::steady_clock::now();
    for (int t = 0; t < connections; ++t) {
        threads.emplace_back([&, t] {
            Connection conn(port);
            for (int i = t; i < customerCount; i += connections) {
                const auto before = std::chrono::steady_clock::now();
                const int status
                        = conn.post("/api/v1/orders", tokens[size_t(i)], "{\"coinsToUse\":0}");
                const auto after = std::chrono::steady_clock::now();
                latencies[size_t(t)].push_back(
                        std::chrono::duration<double, std::milli>(after - before).count());
                if (status == 201)
                    ++created;
                else if (status == 409)
                    ++refused;
                else
                    ++other;
            }
        });
    }
    for (auto &t : threads)
        t.join();
    const double seconds
            = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::vector<double> all;
    for (const auto &l : latencies)
        all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());

    // Oversold: units sold beyond the stock, a negative stock, or a ledger that disagrees.
    qint64 sold = 0;
    qint64 negative = 0;
    for (const QString &id : std::as_const(products)) {
        auto p = shop.catalog().get(id);
        if (!p) {
            std::fprintf(stderr, "bench-checkout: %s\n", qPrintable(p.error().detail));
            return 1;
        }
        sold += stock - p->stock;
        negative += std::max<qint64>(0, -p->stock);
    }
    auto mismatches = Inventory::verifyLedger(shop.database().connection());
    const qint64 oversold
            = std::max<qint64>(0, qint64(created) - qint64(productCount) * stock) + negative;
    std::fprintf(
            stdout,
            "connections %d: %d orders in %.2f s = %.0f orders/s (%d refused 409, %d other); "
            "latency p50 %.1f ms, p99 %.1f ms; units sold %lld of %lld, oversold %lld, ledger %s\n",
            connections, int(created), seconds, double(created) / seconds, int(refused), int(other),
            percentile(all, 0.50), percentile(all, 0.99), static_cast<long long>(sold),
            static_cast<long long>(qint64(productCount) * stock), static_cast<long long>(oversold),
            mismatches && mismatches->isEmpty() ? "ok" : "MISMATCH");
    shop.database().releaseThreadConnection();
    const bool good
            = oversold == 0 && sold == created && mismatches && mismatches->isEmpty() && other == 0;
    return good ? 0 : 1;
}
