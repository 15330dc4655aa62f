#include "datalocationdialog.h"

#include "model/database.h"

#include <QButtonGroup>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QThread>
#include <QVBoxLayout>

#include <memory>

namespace Mercato {

namespace {
const QString kDatabaseKey = QStringLiteral("database"); // MERCATO_DATABASE in the settings file
const QString kDefaultFile = QStringLiteral("mercato.db");
} // namespace

DataLocationDialog::DataLocationDialog(const QString &dataDir, const QString &configFile,
                                       QWidget *parent)
    : QDialog(parent)
    , m_dataDir(dataDir)
    , m_configFile(configFile)
{
    setObjectName(QStringLiteral("dataLocationDialog"));
    setAccessibleName(tr("Where your shop's data lives"));
    setWindowTitle(tr("Set up your shop: where the data lives"));
    setMinimumWidth(560);

    auto *intro = new QLabel(tr("Mercato keeps your products, orders and customers in a database. "
                                "Choose where it lives; you can move it later with "
                                "<code>mercato-server migrate-to</code>."),
                             this);
    intro->setWordWrap(true);
    intro->setAccessibleName(tr("Data location explanation"));

    m_local = new QRadioButton(tr("On &this computer (recommended for one shop)"), this);
    m_local->setAccessibleName(tr("On this computer"));
    m_file = new QLineEdit(QDir(dataDir).filePath(kDefaultFile), this);
    m_file->setAccessibleName(tr("Database file"));
    m_browse = new QPushButton(tr("&Choose…"), this);
    m_browse->setAccessibleName(tr("Choose database file"));
    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(m_file, 1);
    fileRow->addWidget(m_browse);

    m_server = new QRadioButton(tr("On a &PostgreSQL server (several computers or a large shop)"),
                                this);
    m_server->setAccessibleName(tr("On a PostgreSQL server"));
    m_url = new QLineEdit(this);
    m_url->setAccessibleName(tr("PostgreSQL URL"));
    m_url->setPlaceholderText(QStringLiteral("postgresql://user:password@host:5432/mercato"));
    m_test = new QPushButton(tr("&Test connection"), this);
    m_test->setAccessibleName(tr("Test the PostgreSQL connection"));
    auto *urlRow = new QHBoxLayout;
    urlRow->addWidget(m_url, 1);
    urlRow->addWidget(m_test);

    auto *group = new QButtonGroup(this);
    group->addButton(m_local);
    group->addButton(m_server);
    m_local->setChecked(true);

    m_status = new QLabel(this);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setAccessibleName(tr("Data location status"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_continue = buttons->button(QDialogButtonBox::Ok);
    m_continue->setText(tr("C&ontinue"));
    m_continue->setAccessibleName(tr("Continue"));
    buttons->button(QDialogButtonBox::Cancel)->setAccessibleName(tr("Cancel"));

    auto *form = new QFormLayout;
    form->addRow(m_local);
    auto *fileLabel = new QLabel(tr("&File:"), this); // the buddy: a layout, not a widget, sits
    fileLabel->setBuddy(m_file);                      // in the row
    form->addRow(fileLabel, fileRow);
    form->addRow(m_server);
    auto *urlLabel = new QLabel(tr("&URL:"), this);
    urlLabel->setBuddy(m_url);
    form->addRow(urlLabel, urlRow);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_status);
    layout->addStretch();
    layout->addWidget(buttons);
    const QList<QWidget *> order{
            m_local, m_file, m_browse,   m_server,
            m_url,   m_test, m_continue, buttons->button(QDialogButtonBox::Cancel)};
    for (qsizetype k = 1; k < order.size(); ++k)
        setTabOrder(order.at(k - 1), order.at(k)); // (Qt 6.4 has no list overload)

    connect(m_local, &QRadioButton::toggled, this, &DataLocationDialog::updateMode);
    connect(m_browse, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(this, tr("Database file"), m_file->text(),
                                                          tr("SQLite database (*.db)"), nullptr,
                                                          QFileDialog::DontConfirmOverwrite);
        if (!file.isEmpty())
            m_file->setText(file);
    });
    connect(m_test, &QPushButton::clicked, this, [this] { testConnection(false); });
    connect(m_url, &QLineEdit::textEdited, this, [this] { say({}, false); });
    connect(buttons, &QDialogButtonBox::accepted, this, &DataLocationDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &DataLocationDialog::reject);
    updateMode();
}

DataLocationDialog::~DataLocationDialog()
{
    if (m_thread) { // a connection attempt gives up within its 5 s connect timeout
        m_thread->wait();
        delete m_thread;
    }
}

bool DataLocationDialog::needed(const QString &dataDir, const QString &configFile,
                                bool databaseNamed)
{
    if (databaseNamed || QFileInfo::exists(QDir(dataDir).filePath(kDefaultFile)))
        return false;
    if (QFileInfo::exists(configFile)) {
        const QSettings file(configFile, QSettings::IniFormat);
        if (file.contains(kDatabaseKey) || file.contains(QStringLiteral("mercato/") + kDatabaseKey))
            return false;
    }
    return true;
}

void DataLocationDialog::updateMode()
{
    const bool local = m_local->isChecked();
    m_file->setEnabled(local);
    m_browse->setEnabled(local);
    m_url->setEnabled(!local && !m_thread);
    m_test->setEnabled(!local && !m_thread);
    m_continue->setEnabled(!m_thread);
    m_local->setEnabled(!m_thread);
    m_server->setEnabled(!m_thread);
    say({}, false);
}

void DataLocationDialog::say(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
}

void DataLocationDialog::accept()
{
    if (m_thread)
        return;
    if (m_server->isChecked()) {
        // Accepted only once it connects: the test runs now unless this URL just passed it.
        if (m_url->text().trimmed() != m_testedUrl || m_testedUrl.isEmpty()) {
            testConnection(true);
            return;
        }
        if (save(m_testedUrl))
            QDialog::accept();
        return;
    }
    const QString path = m_file->text().trimmed();
    if (path.isEmpty()) {
        say(tr("Name the database file."), true);
        m_file->setFocus();
        return;
    }
    const QFileInfo file(QDir(m_dataDir).absoluteFilePath(path));
    const QString folder = file.absolutePath();
    if (file.isDir()) {
        say(tr("%1 is a folder; name a file in it, such as %2.")
                    .arg(file.absoluteFilePath(),
                         QDir(file.absoluteFilePath()).filePath(kDefaultFile)),
            true);
        m_file->setFocus();
        return;
    }
    if (!QDir().mkpath(folder) || !QFileInfo(folder).isWritable()) {
        say(tr("Mercato cannot write in %1. Choose a folder you can write to.").arg(folder), true);
        m_file->setFocus();
        return;
    }
    if (save(QStringLiteral("sqlite:") + file.absoluteFilePath()))
        QDialog::accept();
}

bool DataLocationDialog::save(const QString &url)
{
    QDir().mkpath(QFileInfo(m_configFile).absolutePath());
    QSettings file(m_configFile, QSettings::IniFormat);
    file.setValue(kDatabaseKey, url);
    file.sync();
    if (file.status() != QSettings::NoError) {
        say(tr("The choice could not be saved in %1.").arg(m_configFile), true);
        return false;
    }
    m_chosen = url;
    return true;
}

void DataLocationDialog::testConnection(bool continueOnSuccess)
{
    const QString url = m_url->text().trimmed();
    if (url.isEmpty()) {
        say(tr("Enter the PostgreSQL URL, such as "
               "postgresql://mercato:password@db.example.com:5432/mercato."),
            true);
        m_url->setFocus();
        return;
    }
    auto parsed = DatabaseUrl::parse(url);
    if (!parsed || parsed->engine != Engine::Postgres) {
        say(tr("This is not a PostgreSQL URL: %1")
                    .arg(parsed ? tr("it names an SQLite file") : parsed.error().detail),
            true);
        m_url->setFocus();
        return;
    }
    const DatabaseUrl target = parsed.value();
    auto failure = std::make_shared<QString>();
    m_thread = QThread::create([target, failure] {
        if (auto s = checkConnection(target); !s)
            *failure = s.error().detail;
    });
    m_thread->setObjectName(QStringLiteral("data location check"));
    connect(m_thread, &QThread::finished, this, [this, url, failure, continueOnSuccess] {
        m_thread->deleteLater();
        m_thread = nullptr;
        updateMode();
        connectionTested(url, *failure, continueOnSuccess);
    });
    updateMode();
    say(tr("Connecting to %1…").arg(target.redacted()), false);
    m_thread->start();
}

void DataLocationDialog::connectionTested(const QString &url, const QString &failure,
                                          bool continueOnSuccess)
{
    if (!failure.isEmpty()) {
        m_testedUrl.clear();
        say(tr("Mercato could not connect: %1").arg(failure), true);
        m_url->setFocus();
        return;
    }
    m_testedUrl = url;
    say(tr("Connected. Mercato will keep the shop in this database."), false);
    if (continueOnSuccess)
        accept();
}

} // namespace Mercato
