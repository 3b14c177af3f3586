#include "CLoadsetShims.h"
