#include "screenshottour.h"

#include "consoleworker.h"
#include "logindialog.h"
#include "mainwindow.h"
#include "setupwizard.h"

#include <QApplication>
#include <QDir>
#include <QLineEdit>
#include <QPushButton>
#include <QTimer>

#include <memory>

namespace Mercato {

namespace {
QString fileName(int index, const QString &page)
{
    QString slug = page.toLower();
    slug.replace(QStringLiteral(" & "), QStringLiteral("-"))
            .replace(QLatin1Char(' '), QLatin1Char('-'));
    return QStringLiteral("%1-%2.png").arg(index, 2, 10, QLatin1Char('0')).arg(slug);
}

void settleThen(MainWindow &window, std::function<void()> next)
{
    // Let the worker answer and the widgets lay out before grabbing.
    QTimer::singleShot(600, &window, [&window, next = std::move(next)] {
        if (!window.worker().isIdle()) {
            settleThen(window, next);
            return;
        }
        QTimer::singleShot(150, &window, next);
    });
}
} // namespace

void runScreenshotTour(MainWindow &window, const QString &dir, const QString &email,
                       const QString &password)
{
    QDir().mkpath(dir);
    settleThen(window, [&window, dir, email, password] {
        if (window.setupWizard()->isVisible()) {
            window.setupWizard()->grab().save(
                    QDir(dir).filePath(QStringLiteral("00-first-run.png")));
            QApplication::quit();
            return;
        }
        LoginDialog *login = window.loginDialog();
        login->grab().save(QDir(dir).filePath(QStringLiteral("00-sign-in.png")));
        const auto edits = login->findChildren<QLineEdit *>();
        for (QLineEdit *e : edits) {
            if (e->accessibleName() == QLatin1String("Email"))
                e->setText(email);
            else if (e->accessibleName() == QLatin1String("Password"))
                e->setText(password);
        }
        for (QPushButton *b : login->findChildren<QPushButton *>()) {
            if (b->accessibleName() == QLatin1String("Sign in"))
                b->click();
        }
        auto pages = std::make_shared<QStringList>(MainWindow::pageNames());
        auto index = std::make_shared<int>(0);
        auto step = std::make_shared<std::function<void()>>();
        *step = [&window, dir, pages, index, step] {
            if (window.seller().id.isEmpty()) {
                window.grab().save(QDir(dir).filePath(QStringLiteral("99-not-signed-in.png")));
                QApplication::quit();
                return;
            }
            if (*index > 0) {
                const QString done = pages->at(*index - 1);
                window.grab().save(QDir(dir).filePath(fileName(*index, done)));
            }
            if (*index == pages->size()) {
                QApplication::quit();
                return;
            }
            window.showPage(pages->at(*index));
            ++*index;
            settleThen(window, *step);
        };
        settleThen(window, *step);
    });
}

} // namespace Mercato
