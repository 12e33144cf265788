// Placeholder translation unit so the elector library exists before its issue lands.
namespace elector {
const char* version() { return "0.1.0"; }
}  // namespace elector
