import Flowstate
