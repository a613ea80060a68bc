import type { APIRoute } from 'astro'
import { signOut } from '@behalf/astro/server'

// A POST, so that a link or an image on another site cannot sign the user out.
// Astro's security.checkOrigin rejects cross-site form posts before this route runs.
export const POST: APIRoute = async (context) => {
  await signOut(context)
  return context.redirect('/', 303)
}
