#include "tileimage.h"

#include <QStringList>

#include <algorithm>
#include <array>

namespace Mercato::TileImage {

namespace {

// 5x7 glyphs, one byte per row, bit 4 = leftmost column.
using Glyph = std::array<quint8, 7>;
constexpr Glyph kLetters[26] = {
        {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}, {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E},
        {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}, {0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E},
        {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}, {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10},
        {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}, {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11},
        {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}, {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C},
        {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}, {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F},
        {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}, {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11},
        {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}, {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10},
        {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}, {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11},
        {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}, {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},
        {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}, {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04},
        {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}, {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11},
        {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}, {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F},
};
constexpr Glyph kDigits[10] = {
        {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}, {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},
        {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}, {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},
        {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}, {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},
        {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}, {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
        {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}, {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},
};

const Glyph *glyphFor(QChar c)
{
    const char16_t u = c.toUpper().unicode();
    if (u >= u'A' && u <= u'Z')
        return &kLetters[u - u'A'];
    if (u >= u'0' && u <= u'9')
        return &kDigits[u - u'0'];
    return nullptr;
}

QByteArray be32(quint32 v)
{
    QByteArray b(4, '\0');
    b[0] = char(v >> 24);
    b[1] = char(v >> 16);
    b[2] = char(v >> 8);
    b[3] = char(v);
    return b;
}

quint32 crc32(const QByteArray &data)
{
    static const std::array<quint32, 256> table = [] {
        std::array<quint32, 256> t{};
        for (quint32 n = 0; n < 256; ++n) {
            quint32 c = n;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }();
    quint32 c = 0xffffffffu;
    for (const char ch : data)
        c = table[(c ^ quint8(ch)) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

QByteArray chunk(const QByteArray &tag, const QByteArray &data)
{
    const QByteArray td = tag + data;
    return be32(quint32(data.size())) + td + be32(crc32(td));
}

} // namespace

QString initials(const QString &name)
{
    QString out;
    const QStringList words = name.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (const QString &w : words) {
        for (const QChar c : w) {
            if (glyphFor(c)) {
                out.append(c.toUpper());
                break;
            }
        }
        if (out.size() == 2)
            break;
    }
    return out;
}

QByteArray png(const QString &text, quint32 rgb, int size)
{
    size = std::clamp(size, 16, 2048);
    const quint8 bg[3] = {quint8(rgb >> 16), quint8(rgb >> 8), quint8(rgb)};
    // One filter byte (0: none) and size RGB pixels per row.
    const int stride = 1 + size * 3;
    QByteArray raw(qsizetype(stride) * size, '\0');
    char *data = raw.data();
    for (int y = 0; y < size; ++y) {
        char *row = data + qsizetype(y) * stride;
        for (int x = 0; x < size; ++x) {
            // A slightly darker band at the bottom, so the tile reads as a label.
            const int shade = y > size * 7 / 8 ? 30 : 0;
            for (int k = 0; k < 3; ++k)
                row[1 + x * 3 + k] = char(std::max(0, bg[k] - shade));
        }
    }
    const QString shown = text.left(3);
    if (!shown.isEmpty()) {
        const int cols = int(shown.size()) * 6 - 1; // 5 columns per glyph, 1 between
        const int scale = std::max(1, size * 6 / 10 / std::max(cols, 7));
        const int left = (size - cols * scale) / 2;
        const int top = (size - 7 * scale) / 2;
        for (qsizetype g = 0; g < shown.size(); ++g) {
            const Glyph *glyph = glyphFor(shown.at(g));
            if (!glyph)
                continue;
            for (int gy = 0; gy < 7; ++gy) {
                for (int gx = 0; gx < 5; ++gx) {
                    if (!((*glyph)[gy] & (0x10 >> gx)))
                        continue;
                    for (int py = 0; py < scale; ++py) {
                        char *row = data + qsizetype(top + gy * scale + py) * stride;
                        const int x0 = left + (int(g) * 6 + gx) * scale;
                        for (int px = 0; px < scale; ++px)
                            std::fill_n(row + 1 + (x0 + px) * 3, 3, char(0xff));
                    }
                }
            }
        }
    }
    QByteArray ihdr = be32(quint32(size)) + be32(quint32(size));
    ihdr += QByteArray("\x08\x02\x00\x00\x00", 5); // 8-bit RGB, deflate, no interlace
    return QByteArray("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr)
           + chunk("IDAT", qCompress(raw, 6).mid(4)) // zlib stream after Qt's length prefix
           + chunk("IEND", {});
}

} // namespace Mercato::TileImage
