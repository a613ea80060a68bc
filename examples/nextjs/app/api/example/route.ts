import { auth, behalfClient } from '@behalf/nextjs/server'
import { NextResponse } from 'next/server'

import { appUrl } from '../../config'

// A signed-in user creates an agent task on their own behalf. Its URL signs whoever opens it in as that user.
export async function POST() {
  const { isAuthenticated, userId } = await auth()
  if (!isAuthenticated) {
    return new NextResponse('Unauthorized', { status: 401 })
  }

  const client = await behalfClient()
  const agentTask = await client.agentTasks.create({
    onBehalfOf: { userId },
    permissions: '*',
    agentName: 'my-agent',
    taskDescription: 'Automated test login',
    redirectUrl: `${appUrl}/dashboard`,
  })

  return NextResponse.json({ message: 'Agent Task created', agentTask })
}
