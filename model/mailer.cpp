#include "mailer.h"

#include "clock.h"
#include "ids.h"

#include <QDateTime>
#include <QDir>
#include <QLocale>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QTimeZone>
#include <algorithm>

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
    const QString messageId = message.id.isEmpty() ? Ids::newId() : message.id;
    mail += "Message-ID: <" + messageId.toLatin1() + '@' + domain.toUtf8() + ">\r\n";
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
    if (!m_items.empty())
        qCWarning(lcMail) << m_items.size() << "queued mail(s) not delivered before shutdown";
}

void MailQueue::setJournal(MailJournal *journal)
{
    {
        std::lock_guard lock(m_mutex);
        m_journal = journal;
        m_claimNow = true;
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
    if (journal) {
        // A row first: once enqueue returns, a crash does not lose it; the sender takes it.
        auto id = journal->add(message);
        if (id) {
            wake();
            return;
        }
        qCWarning(lcMail).noquote() << "mail kept in memory only:" << id.error().detail;
    }
    {
        std::lock_guard lock(m_mutex);
        m_items.push_back(Item{std::move(message), 0, std::chrono::steady_clock::now(), {}});
    }
    m_wake.notify_all();
}

void MailQueue::wake()
{
    {
        std::lock_guard lock(m_mutex);
        m_claimNow = true;
    }
    m_wake.notify_all();
}

bool MailQueue::holdsJournalItems() const
{
    return std::any_of(m_items.begin(), m_items.end(),
                       [](const Item &i) { return !i.claim.isEmpty(); });
}

// With the lock held on entry and exit; talks to the journal without it.
void MailQueue::claimFromJournal(std::unique_lock<std::mutex> &lock)
{
    MailJournal *journal = m_journal;
    m_claimNow = false;
    m_nextClaim = std::chrono::steady_clock::now() + std::chrono::milliseconds(m_policy.pollMs);
    // Numbered when it starts: its read may predate a commit made while it runs, so only a
    // pass that starts after waitUntilIdle's call may tell that caller the journal is empty.
    const quint64 pass = ++m_claimPasses;
    lock.unlock();
    auto claimed = journal->claim(m_policy.claimBatch, m_policy.claimLeaseMs);
    lock.lock();
    if (!claimed) {
        qCWarning(lcMail).noquote() << "cannot read the mail outbox:" << claimed.error().detail;
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    for (JournaledMail &mail : claimed.value())
        m_items.push_back(Item{std::move(mail.message), mail.attempts, now, mail.claim});
    if (claimed->isEmpty())
        m_lastEmptyPass = pass;
    else
        m_claimNow = true; // there may be more: look again once these are settled
}

bool MailQueue::waitUntilIdle(int timeoutMs)
{
    std::unique_lock lock(m_mutex);
    if (!m_journal)
        return m_idle.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                               [this] { return m_items.empty() && !m_busy; });
    const quint64 after = m_claimPasses;
    m_claimNow = true;
    m_wake.notify_all();
    return m_idle.wait_for(lock, std::chrono::milliseconds(timeoutMs), [this, after] {
        return m_items.empty() && !m_busy && m_lastEmptyPass > after;
    });
}

MailQueue::Counts MailQueue::counts() const
{
    std::lock_guard lock(m_mutex);
    return m_counts;
}

void MailQueue::run()
{
    std::unique_lock lock(m_mutex);
    for (;;) {
        if (m_stopping)
            break;
        const auto now = std::chrono::steady_clock::now();
        if (m_journal && !holdsJournalItems() && (m_claimNow || m_nextClaim <= now)) {
            claimFromJournal(lock);
            m_idle.notify_all();
            continue;
        }
        if (m_items.empty()) {
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
        if (next->due > now) {
            m_wake.wait_until(lock, m_journal ? std::min(next->due, m_nextClaim) : next->due);
            continue;
        }
        Item item = std::move(*next);
        m_items.erase(next);
        m_busy = true;
        MailJournal *journal = item.claim.isEmpty() ? nullptr : m_journal;
        lock.unlock();
        const Status sent = m_mailer->deliver(item.message);
        ++item.attempts;
        const bool retry = !sent && sent.error().code == ErrorCode::Unavailable
                           && item.attempts < m_policy.maxAttempts;
        const qint64 backoff = std::min<qint64>(qint64(m_policy.initialBackoffMs)
                                                        << std::min(item.attempts - 1, 20),
                                                m_policy.maxBackoffMs);
        // The journal first, then the counters: whoever waits for idle sees both settled.
        if (journal) {
            const JournaledMail held{item.message, item.attempts - 1, item.claim};
            const Status noted = sent ? journal->delivered(held)
                                      : journal->failed(held, item.attempts,
                                                        retry ? Clock::nowMs() + backoff : 0,
                                                        sent.error().detail.left(500));
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
            // A journaled one waits in its row; the claim after its backoff takes it again.
            if (!journal && !m_stopping) {
                item.due = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff);
                m_items.push_back(std::move(item));
            }
        } else {
            ++m_counts.failed;
            qCWarning(lcMail).noquote() << "mail not delivered after" << item.attempts
                                        << "attempt(s):" << sent.error().detail;
        }
    }
    // Claims not attempted go back at once (not after the lease) for the next start or
    // another process.
    std::deque<Item> held;
    for (auto it = m_items.begin(); it != m_items.end();) {
        if (it->claim.isEmpty()) {
            ++it;
            continue;
        }
        held.push_back(std::move(*it));
        it = m_items.erase(it);
    }
    MailJournal *journal = m_journal;
    lock.unlock();
    if (journal) {
        for (const Item &item : held)
            (void)journal->release(JournaledMail{item.message, item.attempts, item.claim});
        if (!held.empty())
            qCInfo(lcMail) << held.size() << "claimed mail(s) left in the outbox for later";
    }
}

} // namespace Mercato
