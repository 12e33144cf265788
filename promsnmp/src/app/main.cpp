// promsnmp: the collector daemon (see PromSnmpApp.h).
#include "app/PromSnmpApp.h"

int main(int argc, char** argv) { return promsnmp::PromSnmpApp::runFromCommandLine(argc, argv); }
