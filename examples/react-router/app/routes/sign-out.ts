import { signOut } from '@behalf/react-router/server'
import { redirect } from 'react-router'

import type { Route } from './+types/sign-out'

export async function action(args: Route.ActionArgs) {
  return redirect('/', { headers: await signOut(args) })
}
