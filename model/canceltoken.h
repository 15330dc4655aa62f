#pragma once
// A flag the GUI thread raises to ask work running on another thread to stop early (a picture
// upload the seller cancelled). Copies share the flag; a default token is never cancelled.

#include <atomic>
#include <memory>

namespace Mercato {

class CancelToken
{
public:
    CancelToken()
        : m_flag(std::make_shared<std::atomic_bool>(false))
    {}
    void cancel() const { m_flag->store(true); }
    bool isCancelled() const { return m_flag->load(); }

private:
    std::shared_ptr<std::atomic_bool> m_flag;
};

} // namespace Mercato
