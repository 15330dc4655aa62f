#include "mailer.h"

#include "clock.h"
#include "ids.h"

#include <QDateTime>
#include <QDir>
#include <QLocale>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QTimeZone>

Q_LOGGING_CATEGORY(lcMail, "mercato.mail")

namespace Mercato {

namespace {

bool isPlainAscii(const QByteArray &bytes)
{
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80 || (u < 0x20 && c != '\n' && c != '\r' && c != '\t'))
            return false;
    }
    return true;
}

// A header value: as is when it is printable ASCII, else one RFC 2047 encoded word.
QByteArray headerText(const QString &text)
{
    QString clean = text;
    clean.replace(QLatin1Char('\r'), QLatin1Char(' ')).replace(QLatin1Char('\n'), QLatin1Char(' '));
    const QByteArray utf8 = clean.toUtf8();
    if (isPlainAscii(utf8))
        return utf8;
    return "=?UTF-8?B?" + utf8.toBase64() + "?=";
}

QByteArray quotedPrintable(const QByteArray &utf8)
{
    QByteArray out;
    int lineLength = 0;
    auto put = [&](const QByteArray &piece) {
        if (lineLength + piece.size() > 75) {
            out += "=\r\n";
            lineLength = 0;
        }
        out += piece;
        lineLength += int(piece.size());
    };
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8.at(i));
        if (c == '\n') {
            out += "\r\n";
            lineLength = 0;
        } else if (c == '\r') {
            continue;
        } else if ((c >= 33 && c <= 126 && c != '=')
                   || ((c == ' ' || c == '\t') && i + 1 < utf8.size() && utf8.at(i + 1) != '\n')) {
            put(QByteArray(1, char(c)));
        } else {
            put('=' + QByteArray::number(c, 16).toUpper().rightJustified(2, '0'));
        }
    }
    return out;
}

QByteArray crlfLines(const QByteArray &text)
{
    QByteArray out;
    out.reserve(text.size() + text.count('\n'));
    for (const char c : text) {
        if (c == '\r')
            continue;
        if (c == '\n')
            out += '\r';
        out += c;
    }
    return out;
}

} // namespace

QString mailAddress(const QString &mailbox)
{
    const qsizetype open = mailbox.lastIndexOf(QLatin1Char('<'));
    const qsizetype close = mailbox.lastIndexOf(QLatin1Char('>'));
    if (open >= 0 && close > open)
        return mailbox.mid(open + 1, close - open - 1).trimmed();
    return mailbox.trimmed();
}

QByteArray renderMail(const MailMessage &message, const QString &from)
{
    const QDateTime now = QDateTime::fromMSecsSinceEpoch(Clock::nowMs(), Qt::UTC);
    const QString fromAddress = mailAddress(from);
    const qsizetype at = fromAddress.indexOf(QLatin1Char('@'));
    const QString domain = at >= 0 ? fromAddress.mid(at + 1) : QStringLiteral("localhost");

    QByteArray mail;
    mail += "From: " + headerText(from) + "\r\n";
    mail += "To: " + headerText(message.to) + "\r\n";
    mail += "Subject: " + headerText(message.subject) + "\r\n";
    mail += "Date: "
            + QLocale::c().toString(now, QStringLiteral("ddd, dd MMM yyyy HH:mm:ss")).toLatin1()
            + " +0000\r\n";
    mail += "Message-ID: <" + Ids::newId().toLatin1() + '@' + domain.toUtf8() + ">\r\n";
    mail += "MIME-Version: 1.0\r\n";
    mail += "Content-Type: text/plain; charset=UTF-8\r\n";
    const QByteArray body = message.textBody.toUtf8();
    bool shortLines = true;
    for (const QByteArray &line : body.split('\n'))
        shortLines = shortLines && line.size() < 990;
    if (isPlainAscii(body) && shortLines) {
        mail += "Content-Transfer-Encoding: 7bit\r\n\r\n";
        mail += crlfLines(body);
    } else {
        mail += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
        mail += quotedPrintable(body);
    }
    if (!mail.endsWith("\r\n"))
        mail += "\r\n";
    return mail;
}

OutboxMailer::OutboxMailer(QString directory, QString from)
    : m_directory(std::move(directory))
    , m_from(std::move(from))
{}

Status OutboxMailer::deliver(const MailMessage &message)
{
    if (!QDir().mkpath(m_directory))
        return makeError(ErrorCode::Unavailable, QStringLiteral("cannot create the outbox folder"));
    // Time first so a listing sorts by age; the random part keeps names unique across
    // threads and processes sharing the folder.
    const QString name = QStringLiteral("%1-%2.eml")
                                 .arg(Clock::nowMs(), 13, 10, QLatin1Char('0'))
                                 .arg(Ids::newId());
    QSaveFile file(m_directory + QLatin1Char('/') + name);
    const QByteArray bytes = renderMail(message, m_from);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return makeError(ErrorCode::Unavailable, QStringLiteral("cannot write to the outbox"));
    return Ok{};
}

QString OutboxMailer::describe() const
{
    return QStringLiteral("outbox folder ") + m_directory;
}

MailQueue::MailQueue(std::unique_ptr<Mailer> mailer, RetryPolicy policy)
    : m_mailer(std::move(mailer))
    , m_policy(policy)
{
    m_thread = std::thread([this] { run(); });
}

MailQueue::~MailQueue()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
    if (!m_items.empty()) {
        if (m_journal)
            qCInfo(lcMail) << m_items.size()
                           << "queued mail(s) stay in the outbox table for the next start";
        else
            qCWarning(lcMail) << m_items.size() << "queued mail(s) not delivered before shutdown";
    }
}

void MailQueue::setJournal(MailJournal *journal)
{
    {
        std::lock_guard lock(m_mutex);
        m_journal = journal;
        m_nextClaim = std::chrono::steady_clock::now();
    }
    m_wake.notify_all();
}

void MailQueue::enqueue(MailMessage message)
{
    MailJournal *journal = nullptr;
    {
        std::lock_guard lock(m_mutex);
        journal = m_journal;
    }
    QString journalId;
    if (journal) {
        // Kept before it is queued: once enqueue returns, a crash does not lose it.
        auto id = journal->add(message);
        if (id)
            journalId = id.value();
        else
            qCWarning(lcMail).noquote() << "mail kept in memory only:" << id.error().detail;
    }
    {
        std::lock_guard lock(m_mutex);
        m_items.push_back(Item{std::move(message), 0, std::chrono::steady_clock::now(), journalId});
    }
    m_wake.notify_all();
}

// With the lock held on entry and exit; talks to the journal without it.
void MailQueue::claimFromJournal(std::unique_lock<std::mutex> &lock)
{
    MailJournal *journal = m_journal;
    m_nextClaim = std::chrono::steady_clock::now()
                  + std::chrono::milliseconds(m_policy.claimLeaseMs / 2);
    lock.unlock();
    auto claimed = journal->claim(m_policy.claimLeaseMs);
    lock.lock();
    if (!claimed) {
        qCWarning(lcMail).noquote() << "cannot read the mail outbox:" << claimed.error().detail;
        return;
    }
    const qint64 nowMs = Clock::nowMs();
    const auto now = std::chrono::steady_clock::now();
    int taken = 0;
    for (JournaledMail &mail : claimed.value()) {
        const bool known = std::any_of(m_items.begin(), m_items.end(),
                                       [&mail](const Item &i) { return i.journalId == mail.id; });
        if (known)
            continue;
        // When its last attempt said to try again, not before.
        const auto wait
                = std::chrono::milliseconds(std::max<qint64>(0, mail.nextAttemptAtMs - nowMs));
        m_items.push_back(Item{std::move(mail.message), mail.attempts, now + wait, mail.id});
        ++taken;
    }
    if (taken > 0)
        qCInfo(lcMail) << taken << "mail(s) taken from the outbox table";
}

bool MailQueue::waitUntilIdle(int timeoutMs)
{
    std::unique_lock lock(m_mutex);
    return m_idle.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                           [this] { return m_items.empty() && !m_busy; });
}

MailQueue::Counts MailQueue::counts() const
{
    std::lock_guard lock(m_mutex);
    return m_counts;
}

void MailQueue::run()
{
    std::unique_lock lock(m_mutex);
    struct ThreadEnd
    {
        MailQueue *queue;
        ~ThreadEnd()
        {
            if (queue->m_journal)
                queue->m_journal->threadEnds();
        }
    } threadEnd{this};
    for (;;) {
        if (m_stopping)
            return;
        if (m_journal && m_nextClaim <= std::chrono::steady_clock::now()) {
            claimFromJournal(lock);
            continue;
        }
        if (m_items.empty() && !m_busy) {
            m_idle.notify_all();
            if (m_journal)
                m_wake.wait_until(lock, m_nextClaim);
            else
                m_wake.wait(lock);
            continue;
        }
        // The item due first; retries wait their turn without holding up new mail.
        auto next = std::min_element(m_items.begin(), m_items.end(),
                                     [](const Item &a, const Item &b) { return a.due < b.due; });
        if (next->due > std::chrono::steady_clock::now()) {
            m_wake.wait_until(lock, m_journal ? std::min(next->due, m_nextClaim) : next->due);
            continue;
        }
        Item item = std::move(*next);
        m_items.erase(next);
        m_busy = true;
        MailJournal *journal = m_journal;
        lock.unlock();
        const Status sent = m_mailer->deliver(item.message);
        ++item.attempts;
        const bool retry = !sent && sent.error().code == ErrorCode::Unavailable
                           && item.attempts < m_policy.maxAttempts;
        const qint64 backoff = std::min<qint64>(qint64(m_policy.initialBackoffMs)
                                                        << std::min(item.attempts - 1, 20),
                                                m_policy.maxBackoffMs);
        // The journal first, then the counters: whoever waits for idle sees both settled.
        if (journal && !item.journalId.isEmpty()) {
            const Status noted = retry ? journal->attempted(item.journalId, item.attempts,
                                                            Clock::nowMs() + backoff,
                                                            sent.error().detail.left(500))
                                       : journal->finished(item.journalId);
            if (!noted)
                qCWarning(lcMail).noquote()
                        << "cannot update the mail outbox:" << noted.error().detail;
        }
        lock.lock();
        m_busy = false;
        if (sent) {
            ++m_counts.delivered;
        } else if (retry) {
            qCInfo(lcMail).noquote() << "mail delivery failed, retrying in" << backoff
                                     << "ms:" << sent.error().detail;
            ++m_counts.retried;
            if (m_stopping)
                continue; // still in the journal: the next start delivers it
            item.due = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff);
            m_items.push_back(std::move(item));
        } else {
            ++m_counts.failed;
            qCWarning(lcMail).noquote() << "mail not delivered after" << item.attempts
                                        << "attempt(s):" << sent.error().detail;
        }
    }
}

} // namespace Mercato
