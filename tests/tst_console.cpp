// The console shell opens offscreen and lists its pages; clicking a page shows it.

#include "support/testsupport.h"

#include "ui/mainwindow.h"

#include <QApplication>
#include <QLabel>
#include <QListWidget>
#include <QStackedWidget>
#include <QTest>

using namespace Mercato;

class TestConsole : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void shellListsPages();
};

void TestConsole::shellListsPages()
{
    Test::TestServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    MainWindow window(server.shop(), server.baseUrl(), [&server] { return server.metrics().requestCount(); });
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    QListWidget *pages = nullptr;
    const auto lists = window.findChildren<QListWidget *>();
    for (QListWidget *l : lists) {
        if (l->accessibleName() == QLatin1String("Pages"))
            pages = l;
    }
    QVERIFY(pages);
    QStringList names;
    for (int i = 0; i < pages->count(); ++i)
        names.append(pages->item(i)->text());
    QCOMPARE(names, (QStringList{QStringLiteral("Dashboard"), QStringLiteral("Products"),
                                 QStringLiteral("Inventory"), QStringLiteral("Orders"),
                                 QStringLiteral("Refunds & Complaints"), QStringLiteral("Notifications"),
                                 QStringLiteral("Settings")}));
    auto *stack = window.findChild<QStackedWidget *>();
    QVERIFY(stack);
    for (int i = 0; i < pages->count(); ++i) {
        const QRect rect = pages->visualItemRect(pages->item(i));
        QTest::mouseClick(pages->viewport(), Qt::LeftButton, {}, rect.center());
        QCOMPARE(window.currentPage(), names.at(i));
        QCOMPARE(stack->currentWidget()->accessibleName(), names.at(i));
    }

    QLabel *url = window.findChild<QLabel *>(QStringLiteral("apiUrl"));
    QVERIFY(url);
    QVERIFY(url->text().contains(server.baseUrl()));
    QLabel *requests = window.findChild<QLabel *>(QStringLiteral("requestCount"));
    QVERIFY(requests);
    QCOMPARE(Test::httpRequest(server.port(), "GET", "/healthz").status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(requests->text().contains(QLatin1String("1")), 3000);
    const QImage shot = window.grab().toImage();
    QVERIFY(!shot.isNull());
    const QString dir = qEnvironmentVariable("MERCATO_SCREENSHOT_DIR");
    if (!dir.isEmpty())
        shot.save(dir + QStringLiteral("/console-shell.png"));
}

QTEST_MAIN(TestConsole)
#include "tst_console.moc"
