#include "ordernumbers.h"

namespace Mercato::OrderNumbers {

Result<QHash<QString, qint64>> of(const QSqlDatabase &db, const QStringList &ids)
{
    QHash<QString, qint64> out;
    constexpr qsizetype kBatch = 200;
    for (qsizetype start = 0; start < ids.size(); start += kBatch) {
        const QStringList batch = ids.mid(start, kBatch);
        QStringList marks;
        QVariantList binds;
        for (const QString &id : batch) {
            marks.append(QStringLiteral("?"));
            binds.append(id);
        }
        auto q = execSql(db,
                         QStringLiteral("SELECT id, number FROM orders WHERE id IN (")
                                 + marks.join(QLatin1Char(',')) + QLatin1Char(')'),
                         binds);
        if (!q)
            return q.error();
        while (q->next())
            out.insert(q->value(0).toString(), q->value(1).toLongLong());
    }
    return out;
}

} // namespace Mercato::OrderNumbers
