#pragma once
// Generated product pictures for demo data: a coloured square tile with the product's
// initials in white, encoded as PNG. Drawn into a plain RGB buffer with a built-in 5x7 pixel
// font, so the server needs neither QtGui nor fonts.

#include <QByteArray>
#include <QString>

namespace Mercato::TileImage {

// Up to two initials of `name` (first letters of its first two words; A-Z and 0-9, others
// skipped), upper case.
QString initials(const QString &name);

// A `size` x `size` PNG (8-bit RGB): background `rgb` (0xRRGGBB), `text` (A-Z, 0-9; other
// characters leave a gap) centred in white.
QByteArray png(const QString &text, quint32 rgb, int size = 256);

} // namespace Mercato::TileImage
