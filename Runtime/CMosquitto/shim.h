#ifndef EVCSM_CMOSQUITTO_SHIM_H
#define EVCSM_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#endif
