#pragma once
// Opaque keyset-paging cursors: the last row's sort key, signed so a cursor the server did
// not make is refused instead of being trusted.

#include <QByteArray>
#include <QString>
#include <QVariantList>

#include <optional>

namespace Mercato::Cursor {

// Set once at start-up (derived from the JWT key, so every process of one shop agrees).
void setKey(const QByteArray &key);
// `scope` ties a cursor to one list (and its sort), so one list's cursor fails on another.
QString encode(const QString &scope, const QVariantList &values);
std::optional<QVariantList> decode(const QString &scope, const QString &cursor);
// True for a decoded JSON number (integers come back as qint64, others as double).
bool isNumber(const QVariant &value);

} // namespace Mercato::Cursor
