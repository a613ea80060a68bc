import { index, route, type RouteConfig } from '@react-router/dev/routes'

export default [
  index('routes/home.tsx'),
  route('dashboard', 'routes/dashboard.tsx'),
  // The product brief's route: a signed-in user creates an agent task on their own behalf.
  route('api/example', 'routes/example.tsx'),
  route('api/me', 'routes/api.me.ts'),
  route('sign-out', 'routes/sign-out.ts'),
] satisfies RouteConfig
