#include "collection/PollResult.h"

namespace promsnmp {

const char* pollErrorName(PollError error) {
  switch (error) {
    case PollError::None:
      return "none";
    case PollError::Timeout:
      return "timeout";
    case PollError::Authentication:
      return "authentication";
    case PollError::Transport:
      return "transport";
    case PollError::AgentError:
      return "agent_error";
    case PollError::Unsupported:
      return "unsupported";
    case PollError::Internal:
      return "internal";
  }
  return "unknown";
}

}  // namespace promsnmp
