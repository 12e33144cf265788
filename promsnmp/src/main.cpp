// promsnmp: the collector daemon (see PromSnmpApp.h).
#include "PromSnmpApp.h"

int main(int argc, char** argv) { return promsnmp::PromSnmpApp::runFromCommandLine(argc, argv); }
