#pragma once
// Where pictures live: the port, and the image checks every upload goes through.
// Adapters: LocalImageStore (files under <data dir>/media, served at /media/) and
// CloudinaryImageStore (signed uploads).

#include "canceltoken.h"
#include "result.h"

#include <QByteArray>
#include <QString>

#include <atomic>
#include <functional>

namespace Mercato {

struct StoredImage
{
    QString key; // what the store needs to delete it (file name, Cloudinary public_id)
    QString url; // what customers fetch
};

// Checks the bytes are a PNG, JPEG or WebP image of sane size (the declared size first, so a
// bomb is refused before anything decodes it) and then decodes them with Qt's image reader;
// returns the MIME type or a 415/422 error.
Result<QString> checkImage(const QByteArray &bytes, const QString &declaredType);

// The picture without its metadata (Exif with the camera and GPS position, XMP, IPTC,
// comments, PNG text chunks), every pixel as it was; `mimeType` is what checkImage returned.
Result<QByteArray> stripMetadata(const QByteArray &bytes, const QString &mimeType);

// The error of an upload stopped through its CancelToken.
Error cancelledUpload();

class ImageStore
{
public:
    virtual ~ImageStore() = default;
    // `mimeType` is what checkImage returned. A cancelled `cancel` stops the transfer early
    // and leaves nothing stored (the answer is then an error).
    virtual Result<StoredImage> store(const QByteArray &bytes, const QString &mimeType,
                                      const CancelToken &cancel = {})
            = 0;
    virtual Status remove(const QString &key) = 0;
};

class LocalImageStore : public ImageStore
{
public:
    // Files go to `directory`; URLs are `publicBaseUrl` + "/media/" + name.
    LocalImageStore(QString directory, QString publicBaseUrl);
    Result<StoredImage> store(const QByteArray &bytes, const QString &mimeType,
                              const CancelToken &cancel = {}) override;
    Status remove(const QString &key) override;

    // Below `bytes` free on its disk a store is refused (InsufficientStorage, 507) and
    // `told` runs once per shortage, with the bytes left. 0: no floor. Set before serving.
    void setDiskFloor(qint64 bytes, std::function<void(qint64 available)> told)
    {
        m_minFreeBytes = bytes;
        m_lowSpace = std::move(told);
    }

    // The file of a media name, or empty when the name is not one this store makes.
    QString pathFor(const QString &name) const;
    const QString &directory() const { return m_directory; }
    static bool isValidName(const QString &name);

private:
    QString m_directory;
    QString m_publicBaseUrl;
    qint64 m_minFreeBytes = 0;
    std::function<void(qint64)> m_lowSpace;
    std::atomic<bool> m_lowSpaceTold{false};
};

} // namespace Mercato
