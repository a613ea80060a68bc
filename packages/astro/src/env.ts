import type { AuthObject } from '@behalf/backend'

// Types `context.locals.auth` (and `Astro.locals.auth`) in the app. `@behalf/astro/server`
// imports this module, and `/// <reference types="@behalf/astro/env" />` pulls it in without
// an import.
declare global {
  namespace App {
    interface Locals {
      /** Returns the auth object of this request. Set by Behalf's middleware on every on-demand rendered route. */
      auth: () => AuthObject
    }
  }
}

export {}
