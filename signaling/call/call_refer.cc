// PLACEHOLDER: its owner replaces this file (issue 18): REFER into rooms.
#include "signaling/call/call_controller.h"
