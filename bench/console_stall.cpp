// bench-console-stall: the console (MainWindow, signed in, moving between pages) with the API
// in the same process, while bench/console.sh saturates the catalog and checkout routes with
// wrk. A QTimer on the GUI thread measures how late each tick comes (its stall); the program
// prints the p50, p99 and max stall, and what the GUI thread did for the API (must be nothing).
//   bench-console-stall --data-dir DIR --port N --seconds S --lua-dir DIR
// Prints "READY" once signed in and the wrk scripts are written; the measurement starts one
// second later and lasts S - 2 seconds.

#include "app/config.h"
#include "app/console/metricsmonitor.h"
#include "app/runtime.h"
#include "model/accounts.h"
#include "model/catalog.h"
#include "model/database.h"
#include "model/ids.h"
#include "model/shop.h"
#include "model/tokens.h"
#include "server/metrics.h"
#include "ui/logindialog.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLineEdit>
#include <QPushButton>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace Mercato;

namespace {

constexpr int kTickMs = 4;

bool writeFile(const QString &path, const QByteArray &text)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(text) == text.size();
}

QByteArray luaList(const QStringList &items)
{
    QByteArray out = "{";
    for (const QString &s : items)
        out += '"' + s.toUtf8() + "\",";
    return out + '}';
}

double percentile(std::vector<double> sorted, double p)
{
    if (sorted.empty())
        return 0;
    std::sort(sorted.begin(), sorted.end());
    const size_t i = std::min(sorted.size() - 1, size_t(p * double(sorted.size())));
    return sorted[i];
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCommandLineParser cli;
    cli.addOptions(
            {{QStringLiteral("data-dir"), QStringLiteral("data folder"), QStringLiteral("dir")},
             {QStringLiteral("port"), QStringLiteral("API port"), QStringLiteral("n")},
             {QStringLiteral("seconds"), QStringLiteral("load duration"), QStringLiteral("s")},
             {QStringLiteral("lua-dir"), QStringLiteral("where the wrk scripts go"),
              QStringLiteral("dir")}});
    cli.process(app);
    const int seconds = std::max(4, cli.value(QStringLiteral("seconds")).toInt());

    ConfigOutcome outcome
            = loadConfig({QStringLiteral("bench-console-stall"), QStringLiteral("--data-dir"),
                          cli.value(QStringLiteral("data-dir")), QStringLiteral("--listen"),
                          QStringLiteral("127.0.0.1:") + cli.value(QStringLiteral("port")),
                          QStringLiteral("--demo")},
                         QProcessEnvironment::systemEnvironment(), false);
    if (!outcome.config) {
        std::fprintf(stderr, "%s\n", qPrintable(outcome.message));
        return 2;
    }
    Config config = *outcome.config;
    config.headless = true; // no keychain: the JWT key and secrets stay in the data folder
    config.jwtSecret = Ids::randomBytes(32);
    config.workers = 2;
    config.authRateLimit = 0;
    config.maxConnectionsPerClient = 1024;
    Runtime runtime(config);
    if (auto s = runtime.start(); !s) {
        std::fprintf(stderr, "start failed: %s\n", qPrintable(s.error().detail));
        return 1;
    }
    Shop &shop = runtime.shop();

    // A product that never runs out and customers with tokens for the checkout script.
    const QString sellerEmail = QStringLiteral("seller@demo.mercato.test");
    const QString sellerPassword = QStringLiteral("demo-seller-pass");
    auto seller = shop.accounts().checkCredentials(sellerEmail, sellerPassword);
    if (!seller) {
        std::fprintf(stderr, "no demo seller: %s\n", qPrintable(seller.error().detail));
        return 1;
    }
    NewProduct bulk;
    bulk.name = QStringLiteral("Bench tea");
    bulk.description = QStringLiteral("Never runs out.");
    bulk.priceCents = 500;
    bulk.stock = 100'000'000;
    auto product = shop.catalog().create(seller->id, bulk);
    if (!product)
        return 1;
    QStringList tokens;
    for (int i = 0; i < 16; ++i) {
        auto session = shop.accounts().registerAccount(
                {QStringLiteral("bench-%1@example.test").arg(i),
                 QStringLiteral("bench customer password"), QStringLiteral("Bench %1").arg(i),
                 QStringLiteral("customer")});
        if (!session)
            return 1;
        tokens.append(
                shop.tokens().issueAccess(session->user.id, QStringLiteral("customer")).token);
    }
    const QDir lua(cli.value(QStringLiteral("lua-dir")));
    const QByteArray checkout = "local tokens = " + luaList(tokens) + "\nlocal product = \""
                                + product->id.toUtf8() + R"("
local n = 0
request = function()
  n = n + 1
  local t = tokens[(n % #tokens) + 1]
  local h = {["Authorization"] = "Bearer " .. t, ["Content-Type"] = "application/json"}
  if math.floor(n / #tokens) % 2 == 0 then
    return wrk.format("PUT", "/api/v1/cart/items/" .. product, h, '{"quantity": 1}')
  end
  h["Idempotency-Key"] = "bench-" .. n .. "-" .. math.random(1, 1000000000)
  return wrk.format("POST", "/api/v1/orders", h, "{}")
end
)";
    const QByteArray catalog = "local product = \"" + product->id.toUtf8() + R"("
local queries = {"tea", "cup", "pot", "bowl", "green", "kitchen"}
local n = 0
request = function()
  n = n + 1
  if n % 3 == 0 then return wrk.format("GET", "/api/v1/products/" .. product) end
  if n % 3 == 1 then return wrk.format("GET", "/api/v1/products?limit=20") end
  return wrk.format("GET", "/api/v1/products?limit=20&q=" .. queries[(n % #queries) + 1])
end
)";
    if (!writeFile(lua.filePath(QStringLiteral("checkout.lua")), checkout)
        || !writeFile(lua.filePath(QStringLiteral("catalog.lua")), catalog))
        return 1;

    ServerSettings initial;
    initial.listen = QStringLiteral("127.0.0.1:") + cli.value(QStringLiteral("port"));
    initial.currency = QStringLiteral("USD");
    ApiServer *server = &runtime.server();
    MetricsMonitor monitor(
            runtime.metrics(), runtime.apiUrl(), [server] { return server->isRunning(); },
            [server] { return server->workerCount(); }, QString(), initial);
    int rc = 0;
    {
        MainWindow window(shop, &monitor);
        window.show();
        window.begin();

        std::vector<double> stalls;
        QElapsedTimer clock;
        clock.start();
        qint64 last = 0;
        qint64 startNs = -1;
        qint64 endNs = -1;
        quint64 requestsBefore = 0, guiRequestsBefore = 0, guiSqlBefore = 0;
        QTimer meter;
        meter.setTimerType(Qt::PreciseTimer);
        meter.setInterval(kTickMs);
        QObject::connect(&meter, &QTimer::timeout, &app, [&] {
            const qint64 now = clock.nsecsElapsed();
            if (now >= startNs && now <= endNs && last >= startNs)
                stalls.push_back(std::max(0.0, double(now - last) / 1e6 - kTickMs));
            last = now;
        });
        // The seller moves around the console while the API is busy.
        const QStringList pages = MainWindow::pageNames();
        int page = 0;
        QTimer walk;
        walk.setInterval(1000);
        QObject::connect(&walk, &QTimer::timeout, &app,
                         [&] { window.showPage(pages.at(page++ % pages.size())); });

        QTimer steps;
        steps.setInterval(20);
        QObject::connect(&steps, &QTimer::timeout, &app, [&] {
            LoginDialog *login = window.loginDialog();
            if (window.seller().id.isEmpty()) {
                if (!login->isVisible())
                    return;
                for (QLineEdit *e : login->findChildren<QLineEdit *>()) {
                    if (e->accessibleName() == QLatin1String("Email") && e->text().isEmpty())
                        e->setText(sellerEmail);
                    else if (e->accessibleName() == QLatin1String("Password")
                             && e->text().isEmpty())
                        e->setText(sellerPassword);
                }
                for (QPushButton *b : login->findChildren<QPushButton *>()) {
                    if (b->accessibleName() == QLatin1String("Sign in") && b->isEnabled())
                        b->click();
                }
                return;
            }
            const qint64 now = clock.nsecsElapsed();
            if (startNs < 0) {
                startNs = now + 1'000'000'000LL;
                endNs = startNs + qint64(seconds - 2) * 1'000'000'000LL;
                meter.start();
                walk.start();
                std::printf("READY\n");
                std::fflush(stdout);
                return;
            }
            if (now >= startNs && requestsBefore == 0) {
                requestsBefore = runtime.metrics().requestCount() + 1;
                guiRequestsBefore = runtime.metrics().mainThreadRequestCount();
                guiSqlBefore = mainThreadStatementCount();
            }
            if (now > endNs) {
                steps.stop();
                meter.stop();
                walk.stop();
                const quint64 served = runtime.metrics().requestCount() - (requestsBefore - 1);
                const quint64 guiRequests
                        = runtime.metrics().mainThreadRequestCount() - guiRequestsBefore;
                const quint64 guiSql = mainThreadStatementCount() - guiSqlBefore;
                std::printf("ticks %zu\napi_requests %llu\napi_requests_per_s %.0f\n"
                            "gui_stall_p50_ms %.2f\ngui_stall_p99_ms %.2f\n"
                            "gui_stall_max_ms %.2f\ngui_thread_requests %llu\n"
                            "gui_thread_sql %llu\n",
                            stalls.size(), static_cast<unsigned long long>(served),
                            double(served) / double(seconds - 2), percentile(stalls, 0.50),
                            percentile(stalls, 0.99),
                            stalls.empty() ? 0.0 : *std::max_element(stalls.begin(), stalls.end()),
                            static_cast<unsigned long long>(guiRequests),
                            static_cast<unsigned long long>(guiSql));
                std::fflush(stdout);
                rc = guiRequests == 0 && guiSql == 0 ? 0 : 3;
                // Page loads still queued on the console's worker are not waited for: under
                // saturation it falls behind (its pages show older data), which is no stall.
                std::_Exit(rc);
            }
        });
        steps.start();
        QApplication::exec();
    }
    runtime.stop();
    return rc;
}
