#pragma once
// The console's very first question, before any database is opened: where the shop's data
// lives. On this computer (an SQLite file, by default in the app data folder) or on a
// PostgreSQL server, whose URL is tested (off the GUI thread) before it is accepted. The
// choice is written as `database` into the console's settings file, which every later start
// reads, so it is asked once.

#include <QDialog>
#include <QPointer>

class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;
class QThread;

namespace Mercato {

class DataLocationDialog : public QDialog
{
    Q_OBJECT
public:
    // `dataDir`: the data folder (the default SQLite file goes there); `configFile`: the
    // console's settings file the choice is written to.
    DataLocationDialog(const QString &dataDir, const QString &configFile,
                       QWidget *parent = nullptr);
    ~DataLocationDialog() override;

    // Whether a console start must ask: nothing named the database (`databaseNamed`: the
    // environment or the command line did), the settings file names none, and there is no
    // shop at the default place yet.
    static bool needed(const QString &dataDir, const QString &configFile, bool databaseNamed);

    // The database URL written (after Continue).
    QString chosenUrl() const { return m_chosen; }
    // The PostgreSQL check in flight, if any (tests wait for it).
    bool isTesting() const { return m_thread != nullptr; }

    void accept() override;

private:
    void updateMode();
    void testConnection(bool continueOnSuccess);
    void connectionTested(const QString &url, const QString &failure, bool continueOnSuccess);
    bool save(const QString &url);
    void say(const QString &text, bool error);

    QString m_dataDir;
    QString m_configFile;
    QString m_chosen;
    QString m_testedUrl; // the last PostgreSQL URL that connected
    QRadioButton *m_local = nullptr;
    QRadioButton *m_server = nullptr;
    QLineEdit *m_file = nullptr;
    QPushButton *m_browse = nullptr;
    QLineEdit *m_url = nullptr;
    QPushButton *m_test = nullptr;
    QPushButton *m_continue = nullptr;
    QLabel *m_status = nullptr;
    QThread *m_thread = nullptr;
};

} // namespace Mercato
