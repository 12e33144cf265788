// Placeholder translation unit so the promsnmp library exists before its issue lands.
namespace promsnmp {
const char* version() { return "0.1.0"; }
}  // namespace promsnmp
