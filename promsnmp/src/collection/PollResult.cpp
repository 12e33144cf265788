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

PollError pollErrorFor(SnmpResponse::Status status) {
  switch (status) {
    case SnmpResponse::Status::Timeout:
      return PollError::Timeout;
    case SnmpResponse::Status::Authentication:
      return PollError::Authentication;
    case SnmpResponse::Status::Transport:
      return PollError::Transport;
    case SnmpResponse::Status::TooBig:
    case SnmpResponse::Status::ErrorStatus:
      return PollError::AgentError;
    case SnmpResponse::Status::Ok:
      break;
  }
  return PollError::None;
}

}  // namespace promsnmp
