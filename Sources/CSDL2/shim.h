// The one header Swift sees of SDL2. SDL_MAIN_HANDLED stops SDL.h from renaming main (it only does so on
// some platforms, but Swift owns main everywhere).
#ifndef CSDL2_SHIM_H
#define CSDL2_SHIM_H
#define SDL_MAIN_HANDLED
#include <SDL2/SDL.h>
#endif
