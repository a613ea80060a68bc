import { adapterSuite } from '../../../e2e/adapter-suite.js'

adapterSuite({ createAgentTaskPath: '/createAgentTask' })
