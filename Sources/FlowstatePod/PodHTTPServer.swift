public import Flowstate
