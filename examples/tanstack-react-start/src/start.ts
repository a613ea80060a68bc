import { behalfMiddleware } from '@behalf/tanstack-react-start/server'
import { createStart } from '@tanstack/react-start'

export const startInstance = createStart(() => ({
  requestMiddleware: [behalfMiddleware()],
}))
