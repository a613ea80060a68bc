'use client'

import { useState } from 'react'

/** Button that POSTs to /api/example and shows the returned agent-task URL. */
export function CreateAgentTask() {
  const [output, setOutput] = useState('')

  async function createAgentTask() {
    const response = await fetch('/api/example', { method: 'POST' })
    if (!response.ok) {
      setOutput(`${response.status} ${await response.text()}`)
      return
    }
    const body = (await response.json()) as { agentTask: { url: string } }
    setOutput(body.agentTask.url)
  }

  return (
    <>
      <button id="create-agent-task" type="button" onClick={createAgentTask}>
        Create agent task
      </button>
      <pre id="agent-task-url" data-testid="agent-task-url">
        {output}
      </pre>
    </>
  )
}
