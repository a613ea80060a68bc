'use server'

import { signOut } from '@behalf/nextjs/server'
import { redirect } from 'next/navigation'

export async function signOutAction() {
  await signOut()
  redirect('/')
}
