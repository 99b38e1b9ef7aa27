/* The sipws release version, shown by every tool's --version. */
#ifndef SIPWS_VERSION_H
#define SIPWS_VERSION_H
#define SIPWS_VERSION "0.1.0"
#endif
